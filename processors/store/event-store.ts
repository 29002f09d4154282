import type { Db, Queryable } from '../db/db.js'
import type { CanonicalEvent, HeartbeatRow, QuarantineRow } from '../pipeline/event.js'
import { markDirty } from '../stats/dirty.js'
import { ensurePartitions, isMissingPartition, type PartitionedTable } from './partitions.js'
import {
  COPY_EVENT_KEYS, COPY_EVENTS, EVENT_COLUMNS, eventKey, eventKeysCsv, eventRecord, eventsCsv, HEARTBEAT_COLUMNS, heartbeatRecord,
  QUARANTINE_COLUMNS, quarantineRecord, toJsonParam
} from './rows.js'

/** What one group commit writes, all in one transaction. */
export interface WriteBatch {
  /** Unique by (appId, eventId) within the batch: the intake resolves in-batch repeats first. */
  events: CanonicalEvent[]
  heartbeats: HeartbeatRow[]
  quarantine: QuarantineRow[]
}

export interface EventStore {
  readonly db: Db
  /** Commits the batch; resolves with the keys (`eventKey`) of the events that were new. */
  write(batch: WriteBatch): Promise<Set<string>>
  close(): Promise<void>
}

// The key goes in first; the event row only when its key was new. One statement, so a
// concurrent writer of the same key waits on the key's index entry and then skips it.
const INSERT_EVENTS = `
WITH input AS (SELECT * FROM json_to_recordset($1::json) AS x(${EVENT_COLUMNS})),
fresh AS (
  INSERT INTO event_keys (app_id, event_id, occurred_at)
  SELECT app_id, event_id, occurred_at FROM input
  ON CONFLICT DO NOTHING RETURNING app_id, event_id)
INSERT INTO events SELECT input.* FROM input JOIN fresh USING (app_id, event_id)
RETURNING app_id, event_id`

const INSERT_HEARTBEATS = `INSERT INTO heartbeats
SELECT * FROM json_to_recordset($1::json) AS x(${HEARTBEAT_COLUMNS})`

const INSERT_QUARANTINE = `INSERT INTO quarantine (app_id, received_at, source, event_id, event_name, code, path, message, payload, sent_at, schema_version)
SELECT app_id, received_at, source, event_id, event_name, code, path, message, COALESCE(payload, 'null'::jsonb), sent_at, schema_version
FROM json_to_recordset($1::json) AS x(${QUARANTINE_COLUMNS})`

export interface EventStoreOptions {
  /**
   * The statistics days new events make stale (processors/stats/dirty.ts staleDays): marked
   * dirty in the same transaction, so a crash cannot store a late event and lose its mark.
   */
  staleDays?: (events: readonly CanonicalEvent[]) => string[]
}

export function createEventStore(db: Db, opts: EventStoreOptions = {}): EventStore {
  const writeOnce = (batch: WriteBatch): Promise<Set<string>> => writeBatch(db, batch, opts)
  return {
    db,
    async write(batch) {
      try {
        return await writeOnce(batch)
      } catch (err) {
        if (!isMissingPartition(err)) throw err
        // A day nobody created a partition for yet (the job runs ahead, but clocks and late
        // events reach further): create what the batch needs and write again.
        await ensureBatchPartitions(db, batch)
        return writeOnce(batch)
      }
    },
    close: () => db.close()
  }
}

async function writeBatch(db: Db, batch: WriteBatch, opts: EventStoreOptions): Promise<Set<string>> {
  return db.transaction(async (tx) => {
    const fresh = await insertEvents(tx, batch.events)
    if (opts.staleDays !== undefined && fresh.size > 0) {
      const days = opts.staleDays(batch.events.filter((e) => fresh.has(eventKey(e.appId, e.eventId))))
      if (days.length > 0) await markDirty(tx, days)
    }
    if (batch.heartbeats.length > 0) await tx.query(INSERT_HEARTBEATS, [toJsonParam(batch.heartbeats.map(heartbeatRecord))])
    if (batch.quarantine.length > 0) await tx.query(INSERT_QUARANTINE, [toJsonParam(batch.quarantine.map(quarantineRecord))])
    return fresh
  })
}

/**
 * Keys go in sorted: concurrent commits whose batches share keys then take the keys' index
 * locks in one order, so they queue behind each other instead of deadlocking (two batches
 * holding `a` and `b` and each waiting for the other's).
 */
async function insertEvents(tx: Queryable, events: CanonicalEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set()
  const sorted = [...events].sort(byKey)
  if (tx.copyFrom !== undefined) {
    const copied = await copyEvents(tx, tx.copyFrom.bind(tx), sorted)
    if (copied !== null) return copied
  }
  const res = await tx.query<{ app_id: string; event_id: string }>(INSERT_EVENTS, [toJsonParam(sorted.map(eventRecord))])
  return new Set(res.rows.map((r) => eventKey(r.app_id, r.event_id)))
}

/**
 * The fast path where the driver can COPY (PostgreSQL): the keys, then the events, each in one
 * COPY, which costs PostgreSQL about a third less per event than the statement above
 * (BENCHMARKS.md). A key already stored makes the keys' COPY fail as a whole: it is undone to
 * its savepoint and null tells the caller to write the batch with the statement, which sorts
 * out new from repeated. Retries and replays make that the rare case. A concurrent commit of
 * the same key waits on its index entry as with the statement, then fails it the same way.
 */
async function copyEvents(tx: Queryable, copy: (sql: string, data: string) => Promise<void>, sorted: CanonicalEvent[]): Promise<Set<string> | null> {
  await tx.query('SAVEPOINT pulsegate_event_keys')
  try {
    await copy(COPY_EVENT_KEYS, eventKeysCsv(sorted))
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err
    await tx.query('ROLLBACK TO SAVEPOINT pulsegate_event_keys')
    return null
  }
  await copy(COPY_EVENTS, eventsCsv(sorted))
  return new Set(sorted.map((e) => eventKey(e.appId, e.eventId)))
}

const UNIQUE_VIOLATION = '23505'

function byKey(a: CanonicalEvent, b: CanonicalEvent): number {
  if (a.appId !== b.appId) return a.appId < b.appId ? -1 : 1
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0
}

async function ensureBatchPartitions(db: Db, batch: WriteBatch): Promise<void> {
  const span = async (table: PartitionedTable, times: number[]): Promise<void> => {
    if (times.length > 0) await ensurePartitions(db, table, Math.min(...times), Math.max(...times))
  }
  await span('events', batch.events.map((e) => e.occurredAt))
  await span('heartbeats', batch.heartbeats.map((h) => h.receivedAt))
}
