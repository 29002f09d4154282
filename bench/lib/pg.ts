import pg from 'pg'
import { openPostgres } from '../../processors/db/postgres.js'
import { createPartitions } from '../../processors/maintenance/partitions-job.js'
import { migrate } from '../../processors/store/migrate.js'

/** The gateway's schema (migrations and daily partitions) in a database the bench writes itself. */
export async function prepareStoreSchema(url: string): Promise<void> {
  const db = await openPostgres({ url, poolSize: 1, applicationName: 'pulsegate-bench' })
  try {
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
  } finally {
    await db.close()
  }
}

/** One short-lived connection per call: the bench's own queries stay off the measured pools. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'pulsegate-bench' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * Empties the tables and flushes dirty pages before a round, so every round of either side
 * starts from the same state and no checkpoint left over from the previous round lands in it.
 */
export async function resetTables(url: string, tables: readonly string[]): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(`TRUNCATE ${tables.join(', ')}`)
    await c.query('CHECKPOINT')
  })
}

export async function countRows(url: string, table: string, where = 'true'): Promise<number> {
  return withClient(url, async (c) => {
    const res = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)
    return Number(res.rows[0]?.n ?? 0)
  })
}
