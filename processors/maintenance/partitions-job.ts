import type { Db } from '../db/db.js'
import type { JobDefinition } from '../jobs/runner.js'
import { dropPartitionsBefore, ensurePartitions } from '../store/partitions.js'

export interface RetentionOptions {
  retentionDays: number
  heartbeatRetentionDays: number
  /** Days of partitions created ahead of today. */
  aheadDays?: number
}

const DAY_MS = 86_400_000

/**
 * Creates the daily partitions from the oldest retained day to a week ahead. Runs at start and
 * every day, so inserts normally find their partition; the store still creates a missing one
 * on demand.
 */
export async function createPartitions(db: Db, opts: RetentionOptions, now = Date.now()): Promise<string[]> {
  const ahead = now + (opts.aheadDays ?? 7) * DAY_MS
  return [
    ...await ensurePartitions(db, 'events', now - opts.retentionDays * DAY_MS, ahead),
    ...await ensurePartitions(db, 'heartbeats', now - opts.heartbeatRetentionDays * DAY_MS, ahead)
  ]
}

export interface RetentionResult {
  dropped: string[]
  keysDeleted: number
  quarantineDeleted: number
  heartbeatMinutesDeleted: number
}

/**
 * Drops partitions past retention, the dedup keys of the events they held, old quarantine rows
 * and old heartbeat minute rollups.
 */
export async function applyRetention(db: Db, opts: RetentionOptions, now = Date.now()): Promise<RetentionResult> {
  const cutoff = now - opts.retentionDays * DAY_MS
  const dropped = [
    ...await dropPartitionsBefore(db, 'events', cutoff),
    ...await dropPartitionsBefore(db, 'heartbeats', now - opts.heartbeatRetentionDays * DAY_MS)
  ]
  const before = [new Date(cutoff).toISOString()]
  // Keys of events older than retention can go: such an event is refused before dedup.
  const keys = await db.query('DELETE FROM event_keys WHERE occurred_at < $1', before)
  // Refused inputs are kept as long as events, for inspection and replay, and no longer.
  const quarantine = await db.query('DELETE FROM quarantine WHERE received_at < $1', before)
  // Minute rollups outlive their raw heartbeats and are kept as long as events (SPEC §6).
  const minutes = await db.query('DELETE FROM heartbeat_minute WHERE minute < $1', before)
  return { dropped, keysDeleted: keys.rowCount, quarantineDeleted: quarantine.rowCount, heartbeatMinutesDeleted: minutes.rowCount }
}

/**
 * Both jobs are idempotent, so they catch up `all` missed days: a failed run is retried with
 * backoff rather than waiting for the next day.
 */
export function maintenanceJobs(db: Db, opts: RetentionOptions): JobDefinition[] {
  return [
    {
      name: 'partitions.create', schedule: 'FREQ=DAILY;BYHOUR=0;BYMINUTE=10;BYSECOND=0', catchUp: 'all', timeoutMs: 10 * 60_000,
      run: async ({ log }) => { log.info({ created: (await createPartitions(db, opts)).length }, 'partitions ensured') }
    },
    {
      name: 'partitions.retention', schedule: 'FREQ=DAILY;BYHOUR=3;BYMINUTE=30;BYSECOND=0', catchUp: 'all', timeoutMs: 30 * 60_000,
      run: async ({ log }) => { log.info(await applyRetention(db, opts), 'retention applied') }
    }
  ]
}
