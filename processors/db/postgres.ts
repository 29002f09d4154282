import { finished } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Db, Queryable, QueryResult } from './db.js'

export interface PostgresOptions {
  /** Connection string, `postgres://user:pass@host:port/db`. */
  url: string
  /** Pool size: how many statements run at once. */
  poolSize: number
  /** Name shown in pg_stat_activity. */
  applicationName?: string
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    // int8 as a JS number, as pglite.ts does: our counts stay far below 2^53.
    if (oid === 20) return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format)
  }
} as pg.CustomTypesConfig

/** PostgreSQL 15+ through a `pg` pool. */
export async function openPostgres(opts: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    types: typeParsers,
    application_name: opts.applicationName ?? 'pulsegate'
  })
  // An idle client losing its server (restart, network cut) must not crash the process.
  pool.on('error', () => {})
  const run = async <R>(c: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const res = await c.query(sql, params as unknown[] | undefined)
    return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length }
  }
  await run(pool, 'SELECT 1')
  return {
    kind: 'postgres',
    maxConcurrency: opts.poolSize,
    query: (sql, params) => run(pool, sql, params),
    transaction: (fn) => inTransaction(pool, (client) => fn({
      query: (sql, params) => run(client, sql, params),
      copyFrom: async (sql, data) => {
        const stream = client.query(copyFrom(sql))
        stream.end(data)
        await finished(stream)
      }
    })),
    exec: async (sql) => { await pool.query(sql) },
    close: () => pool.end()
  }
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken = false
  try {
    await client.query('BEGIN')
    const out = await fn(client)
    await client.query('COMMIT')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch(() => { broken = true })
    throw err
  } finally {
    client.release(broken)
  }
}

export type { Queryable }
