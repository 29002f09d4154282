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
  const turn = fifo()
  return {
    kind: 'pglite',
    maxConcurrency: 1,
    query: (sql, params) => turn(() => root.query(sql, params)),
    transaction: (fn) => turn(() => pg.transaction((tx) => fn(wrap(tx)))),
    exec: (sql) => turn(async () => { await pg.exec(sql) }),
    close: () => pg.close()
  }
}

/**
 * Statements in the order they were asked for, each after one turn of the event loop. PGlite
 * runs a statement synchronously on this thread and its promises settle as microtasks: a
 * caller chaining statements (a rollup's reads) would run them all before any timer or socket
 * is served, and PGlite's own lock lets it cut in ahead of a waiting group commit. So a long
 * chain would hold event acknowledgements until it ends. Here every call waits for the calls
 * asked before it and for one `setImmediate`, so sockets are read and commits queue between
 * any two statements of a chain.
 */
function fifo(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return (work) => {
    const run = tail.then(nextTurn).then(work)
    tail = run.catch(() => undefined)
    return run
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
