/** A PostgreSQL server and a gateway data directory that live exactly as long as one benchmark. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createDatabase, startPostgres, type PostgresServer } from '../../test/support/services.js'

/**
 * A PostgreSQL server of its own with database `name`, and an empty temp directory (a
 * gateway's data dir), for the length of `fn`; both are removed after, whatever happens.
 */
export async function withDatabase<T>(name: string, fn: (db: { url: string; dataDir: string; server: PostgresServer }) => Promise<T>): Promise<T> {
  const server = await startPostgres()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `pulsegate-${name}-`))
  try {
    return await fn({ url: await createDatabase(server.url, name), dataDir, server })
  } finally {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
