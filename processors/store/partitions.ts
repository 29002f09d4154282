import type { Queryable } from '../db/db.js'

/** Tables partitioned by UTC day, and the column each is partitioned on. */
export type PartitionedTable = 'events' | 'heartbeats'

const DAY_MS = 86_400_000

export const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS

function partitionName(table: PartitionedTable, dayMs: number): string {
  return `${table}_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`
}

/** Creates the daily partitions covering [fromMs, toMs]; existing ones are left alone. */
export async function ensurePartitions(db: Queryable, table: PartitionedTable, fromMs: number, toMs: number): Promise<string[]> {
  const created: string[] = []
  for (let day = dayStart(fromMs); day <= toMs; day += DAY_MS) {
    const name = partitionName(table, day)
    const from = new Date(day).toISOString()
    const to = new Date(day + DAY_MS).toISOString()
    try {
      await db.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${from}') TO ('${to}')`)
      created.push(name)
    } catch (err) {
      // Another process created it between our IF NOT EXISTS check and the catalog insert.
      if (!isAlreadyExists(err)) throw err
    }
  }
  return created
}

export interface PartitionInfo {
  name: string
  fromMs: number
}

export async function listPartitions(db: Queryable, table: PartitionedTable): Promise<PartitionInfo[]> {
  const res = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = $1 ORDER BY c.relname`, [table])
  return res.rows.flatMap(({ name }) => {
    const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name)
    return m === null ? [] : [{ name, fromMs: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) }]
  })
}

/** Drops every partition whose whole day lies before `cutoffMs`: retention at the cost of a DROP. */
export async function dropPartitionsBefore(db: Queryable, table: PartitionedTable, cutoffMs: number): Promise<string[]> {
  const dropped: string[] = []
  for (const p of await listPartitions(db, table)) {
    if (p.fromMs + DAY_MS > cutoffMs) continue
    await db.query(`DROP TABLE IF EXISTS ${p.name}`)
    dropped.push(p.name)
  }
  return dropped
}

export function isMissingPartition(err: unknown): boolean {
  return err instanceof Error && /no partition of relation/.test(err.message)
}

function isAlreadyExists(err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code === '42P07' || code === '23505'
}
