import { mkdirSync } from 'node:fs'
import { PGlite, types } from '@electric-sql/pglite'
import type { Db, Queryable, QueryResult } from './db.js'

/**
 * Embedded PostgreSQL (PGlite, PostgreSQL 18 compiled to WebAssembly). One connection in one
 * process: PGlite serialises every statement, so `maxConcurrency` is 1 and callers keep long
 * work off the acknowledgement path. `dataDir` undefined keeps the database in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true })
  const pg = await PGlite.create(dataDir, {
    // int8 as a JS number, as postgres.ts does: our counts stay far below 2^53.
    parsers: { [types.INT8]: (v: string) => Number(v) }
  })
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await q.query<R>(sql, params as unknown[] | undefined)
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length }
    }
  })
  const root = wrap(pg)
  return {
    kind: 'pglite',
    maxConcurrency: 1,
    query: root.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    exec: async (sql) => { await pg.exec(sql) },
    close: () => pg.close()
  }
}
