/**
 * The embedded realtime counters live in memory: at start they are rebuilt from the store
 * (SPEC §8), from the local midnight of yesterday on — today for the API, yesterday for the
 * check after the daily run, the last hour for the rolling windows. Only events received
 * before this start are read: those received since are counted live, so none counts twice.
 * Read an hour at a time, only the events some realtime metric counts, so memory stays flat.
 * The Redis counters outlive the process and are never rebuilt (that would count twice).
 */
import type { Queryable } from '../db/db.js'
import type { CanonicalEvent, Source } from '../pipeline/event.js'
import type { RealtimeMetric } from './realtime-metric.js'
import { nextTurn } from './rollup.js'

const HOUR_MS = 3_600_000

interface EventRow {
  app_id: string; event_id: string; event_name: string; event_time: Date | string; sent_at: Date | string | null; received_at: Date | string
  occurred_at: Date | string; skew_ms: number | string; source: Source; schema_version: string | null; store_id: string | null
  device_id: string | null; user_id: string | null; session_id: string | null; platform: string | null; app_version: string | null
  channel: string | null; device_type: string | null; correlation_id: string | null; properties: Record<string, unknown>; flags: string[]
}

const ms = (v: Date | string): number => new Date(v).getTime()

export function eventOfRow(r: EventRow): CanonicalEvent {
  return {
    appId: r.app_id, eventId: r.event_id, eventName: r.event_name, eventTime: ms(r.event_time), sentAt: r.sent_at === null ? null : ms(r.sent_at),
    receivedAt: ms(r.received_at), occurredAt: ms(r.occurred_at), skewMs: Number(r.skew_ms), source: r.source, schemaVersion: r.schema_version,
    storeId: r.store_id, deviceId: r.device_id, userId: r.user_id, sessionId: r.session_id, platform: r.platform, appVersion: r.app_version,
    channel: r.channel, deviceType: r.device_type, correlationId: r.correlation_id, properties: r.properties, flags: r.flags
  }
}

/**
 * Feeds `record` the stored events of [fromMs, now) that were received before `startedAt` and
 * that a realtime metric counts. Returns how many were fed.
 */
export async function rebuildRealtime(db: Queryable, metrics: readonly RealtimeMetric[], fromMs: number, startedAt: number, record: (events: CanonicalEvent[]) => unknown): Promise<number> {
  if (metrics.length === 0) return 0
  let fed = 0
  for (let t = fromMs; t < startedAt; t += HOUR_MS) {
    await nextTurn()
    const res = await db.query<EventRow>(
      `SELECT * FROM events WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND received_at < $3::timestamptz`,
      [new Date(t).toISOString(), new Date(t + HOUR_MS).toISOString(), new Date(startedAt).toISOString()])
    const events = res.rows.map(eventOfRow).filter((e) => metrics.some((m) => m.matches(e)))
    if (events.length > 0) await record(events)
    fed += events.length
  }
  return fed
}
