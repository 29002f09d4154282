import type { Queryable } from '../db/db.js'
import { DEVICES_APP } from '../presence/transition-events.js'

/** What `GET /v1/devices/{id}/history` reads: epoch ms, `from` inclusive and `to` exclusive. */
export interface HistoryQuery {
  deviceId: string
  from: number
  to: number
  /** Rows per series at most: the newest ones in the range. */
  limit: number
}

/** A page of one series: oldest first; `truncated` when older rows in the range were left out. */
export interface Series<T> {
  items: T[]
  truncated: boolean
}

export interface TransitionItem { at: string; state: 'online' | 'offline'; reason: string | null }

export interface HeartbeatItem {
  received_at: string
  device_time: string | null
  source: string
  online: boolean
  store_id: string | null
  table_id: string | null
  latency_ms: number | null
  battery_level: number | null
  signal_strength: number | null
}

export interface MinuteItem {
  minute: string
  count: number
  latency_min: number | null
  latency_avg: number | null
  latency_max: number | null
  battery_last: number | null
  signal_last: number | null
}

const TRANSITIONS = `
SELECT occurred_at AS at, CASE event_name WHEN 'device_online' THEN 'online' ELSE 'offline' END AS state, properties->>'reason' AS reason
FROM events
WHERE app_id = '${DEVICES_APP}' AND event_name IN ('device_online', 'device_offline') AND device_id = $1
  AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
ORDER BY occurred_at DESC LIMIT $4`

/** A number property of an HTTP heartbeat event, or null when it is missing or not a number. */
const numberProperty = (name: string): string =>
  `CASE WHEN jsonb_typeof(properties->'${name}') = 'number' THEN round((properties->>'${name}')::numeric)::integer END AS ${name}`

/**
 * Raw heartbeat rows, and the `heartbeat_receive` events of devices that post over HTTP (kept
 * as events of the sending app, SPEC §4). Both are placed by `received_at`, the gateway's
 * clock, as presence places them; the events are also bounded by `occurred_at` a day either
 * side so only the partitions of the range are read (an HTTP heartbeat more than a day late
 * is flagged `late` and left out here).
 */
const HEARTBEATS = `
SELECT * FROM (
  SELECT received_at, device_time, source, online <> 0 AS online, store_id, table_id, latency_ms, battery_level, signal_strength
  FROM heartbeats
  WHERE device_id = $1 AND received_at >= $2::timestamptz AND received_at < $3::timestamptz
  UNION ALL
  SELECT received_at, event_time, source, COALESCE(properties->>'online', '1') NOT IN ('0', 'false'), store_id, properties->>'table_id',
    ${numberProperty('latency_ms')}, ${numberProperty('battery_level')}, ${numberProperty('signal_strength')}
  FROM events
  WHERE event_name = 'heartbeat_receive' AND device_id = $1 AND received_at >= $2::timestamptz AND received_at < $3::timestamptz
    AND occurred_at >= $2::timestamptz - interval '1 day' AND occurred_at < $3::timestamptz + interval '1 day'
) AS beats
ORDER BY received_at DESC LIMIT $4`

/** Minutes are placed by their start: a minute is in the range when it starts in it. */
const MINUTES = `
SELECT minute, count, latency_min, latency_avg, latency_max, battery_last, signal_last
FROM heartbeat_minute
WHERE device_id = $1 AND minute >= $2::timestamptz AND minute < $3::timestamptz
ORDER BY minute DESC LIMIT $4`

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString())

export async function transitionHistory(db: Queryable, q: HistoryQuery): Promise<Series<TransitionItem>> {
  return newest(db, TRANSITIONS, q, (r: { at: Date; state: 'online' | 'offline'; reason: string | null }) => ({ ...r, at: iso(r.at) as string }))
}

export async function heartbeatHistory(db: Queryable, q: HistoryQuery): Promise<Series<HeartbeatItem>> {
  type Row = Omit<HeartbeatItem, 'received_at' | 'device_time'> & { received_at: Date; device_time: Date | null }
  return newest(db, HEARTBEATS, q, (r: Row) => ({ ...r, received_at: iso(r.received_at) as string, device_time: iso(r.device_time) }))
}

/** The per-minute rollups (`heartbeat_minute`), kept as long as events. */
export async function minuteHistory(db: Queryable, q: HistoryQuery): Promise<Series<MinuteItem>> {
  type Row = Omit<MinuteItem, 'minute'> & { minute: Date }
  return newest(db, MINUTES, q, (r: Row) => ({ ...r, minute: iso(r.minute) as string, latency_avg: r.latency_avg === null ? null : Number(r.latency_avg) }))
}

/** The newest `limit` rows of the range, returned oldest first; one more is read to know whether any were left out. */
async function newest<R, T>(db: Queryable, sql: string, q: HistoryQuery, map: (row: R) => T): Promise<Series<T>> {
  const { rows } = await db.query<R>(sql, [q.deviceId, new Date(q.from).toISOString(), new Date(q.to).toISOString(), q.limit + 1])
  return { items: rows.slice(0, q.limit).reverse().map(map), truncated: rows.length > q.limit }
}
