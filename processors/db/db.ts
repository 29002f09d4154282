/**
 * The database seam. PulseGate speaks one SQL dialect (the subset PostgreSQL 15+ and PGlite
 * share) through this interface; `pglite.ts` is the embedded implementation and `postgres.ts`
 * the real one. Everything above this layer (event store, job runner, registries) is written
 * once against it and tested against both by the contract suites in `test/processors/`.
 */
export interface QueryResult<R> {
  rows: R[]
  /** Rows affected by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>
  /**
   * `COPY … FROM STDIN` of `data`, inside a transaction, where the driver streams it (pg, with
   * pg-copy-streams); absent on PGlite. Callers keep a statement path for when it is absent.
   */
  copyFrom?(sql: string, data: string): Promise<void>
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres'
  /**
   * How many statements can make progress at once: 1 for PGlite (one connection in one
   * process), the pool size for PostgreSQL. The intake sizes its group commit by it.
   */
  readonly maxConcurrency: number
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Runs several statements separated by `;` with no parameters (migrations). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}
