import type { Db } from './db.js'
import { openPglite } from './pglite.js'
import { openPostgres } from './postgres.js'

export interface OpenDbOptions {
  /** PostgreSQL URL; undefined opens the embedded PGlite store. */
  databaseUrl?: string | undefined
  /** PGlite data directory; undefined keeps an embedded store in memory. */
  dataDir?: string | undefined
  poolSize?: number
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl !== undefined) {
    return openPostgres({ url: opts.databaseUrl, poolSize: opts.poolSize ?? 4 })
  }
  return openPglite(opts.dataDir)
}
