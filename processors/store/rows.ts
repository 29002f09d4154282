import type { CanonicalEvent, HeartbeatRow, QuarantineRow } from '../pipeline/event.js'

/**
 * Rows as the write statements read them with json_to_recordset: snake_case keys and ISO
 * times. JSON is the one parameter format both pg and PGlite pass without per-driver code,
 * and one parameter per batch keeps the statement text (and its plan) the same for any size.
 */
const iso = (ms: number): string => new Date(ms).toISOString()
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

export function eventRecord(e: CanonicalEvent): Record<string, unknown> {
  return {
    app_id: e.appId, event_id: e.eventId, event_name: e.eventName, event_time: iso(e.eventTime),
    sent_at: isoOrNull(e.sentAt), received_at: iso(e.receivedAt), occurred_at: iso(e.occurredAt),
    skew_ms: e.skewMs, source: e.source, schema_version: e.schemaVersion, store_id: e.storeId,
    device_id: e.deviceId, user_id: e.userId, session_id: e.sessionId, platform: e.platform,
    app_version: e.appVersion, channel: e.channel, device_type: e.deviceType,
    correlation_id: e.correlationId, properties: e.properties, flags: e.flags
  }
}

export const EVENT_COLUMNS = `app_id text, event_id text, event_name text, event_time timestamptz,
  sent_at timestamptz, received_at timestamptz, occurred_at timestamptz, skew_ms bigint, source text,
  schema_version text, store_id text, device_id text, user_id text, session_id text, platform text,
  app_version text, channel text, device_type text, correlation_id text, properties jsonb, flags text[]`

export function heartbeatRecord(h: HeartbeatRow): Record<string, unknown> {
  return {
    device_id: h.deviceId, received_at: iso(h.receivedAt), device_time: isoOrNull(h.deviceTime),
    store_id: h.storeId, table_id: h.tableId, online: h.online, latency_ms: h.latencyMs,
    battery_level: h.batteryLevel, signal_strength: h.signalStrength, source: h.source
  }
}

export const HEARTBEAT_COLUMNS = `device_id text, received_at timestamptz, device_time timestamptz,
  store_id text, table_id text, online smallint, latency_ms integer, battery_level integer,
  signal_strength integer, source text`

export function quarantineRecord(q: QuarantineRow): Record<string, unknown> {
  return {
    app_id: q.appId, received_at: iso(q.receivedAt), source: q.source, event_id: q.eventId,
    event_name: q.eventName, code: q.code, path: q.path, message: q.message, payload: q.payload ?? null,
    sent_at: isoOrNull(q.sentAt), schema_version: q.schemaVersion
  }
}

export const QUARANTINE_COLUMNS = `app_id text, received_at timestamptz, source text, event_id text,
  event_name text, code text, path text, message text, payload jsonb, sent_at timestamptz, schema_version text`

/** The dedup identity of an event inside one app. */
export const eventKey = (appId: string, eventId: string): string => `${appId}\u0000${eventId}`

/**
 * PostgreSQL's json/jsonb cannot hold NUL characters or lone UTF-16 surrogates, and one such
 * value would fail the whole group commit. JSON.stringify writes exactly those as `\u` escapes
 * (never valid pairs), so each escape preceded by an even run of backslashes is replaced by
 * U+FFFD, the Unicode replacement character.
 */
const UNSTORABLE = /(?<=(?<!\\)(?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g

export function toJsonParam(records: unknown[]): string {
  return storableJson(JSON.stringify(records))
}

const storableJson = (json: string): string => (json.includes('\\u') ? json.replace(UNSTORABLE, '\\ufffd') : json)

// --- COPY (PostgreSQL) --------------------------------------------------------------------------
// Rows in COPY's CSV format: an unquoted empty field is NULL, every value is quoted. Text cannot
// hold NUL (U+FFFD instead, as in JSON above); lone surrogates become U+FFFD when the string is
// encoded to UTF-8 on the way out.

const csvText = (v: string): string => `"${(v.includes('\u0000') ? v.replaceAll('\u0000', '\ufffd') : v).replaceAll('"', '""')}"`
const csvOrNull = (v: string | null): string => (v === null ? '' : csvText(v))
const isoCsv = (ms: number): string => new Date(ms).toISOString()
const arrayElement = (v: string): string => `"${v.replace(/["\\]/g, '\\$&')}"`

/** `COPY event_keys … FROM STDIN` of these events, in their order. */
export const COPY_EVENT_KEYS = 'COPY event_keys (app_id, event_id, occurred_at) FROM STDIN WITH (FORMAT csv)'
/** The names of EVENT_COLUMNS, in its order (the order eventsCsv writes). */
export const EVENT_COLUMN_NAMES: readonly string[] = EVENT_COLUMNS.split(',').map((c) => c.trim().split(' ')[0] as string)
export const COPY_EVENTS = `COPY events (${EVENT_COLUMN_NAMES.join(', ')}) FROM STDIN WITH (FORMAT csv)`

export function eventKeysCsv(events: readonly CanonicalEvent[]): string {
  let out = ''
  for (const e of events) out += `${csvText(e.appId)},${csvText(e.eventId)},${isoCsv(e.occurredAt)}\n`
  return out
}

/** The columns of EVENT_COLUMNS, in its order. */
export function eventsCsv(events: readonly CanonicalEvent[]): string {
  let out = ''
  for (const e of events) {
    out += [
      csvText(e.appId), csvText(e.eventId), csvText(e.eventName), isoCsv(e.eventTime), e.sentAt === null ? '' : isoCsv(e.sentAt),
      isoCsv(e.receivedAt), isoCsv(e.occurredAt), String(e.skewMs), csvText(e.source), csvOrNull(e.schemaVersion), csvOrNull(e.storeId),
      csvOrNull(e.deviceId), csvOrNull(e.userId), csvOrNull(e.sessionId), csvOrNull(e.platform), csvOrNull(e.appVersion),
      csvOrNull(e.channel), csvOrNull(e.deviceType), csvOrNull(e.correlationId), csvText(storableJson(JSON.stringify(e.properties))),
      csvText(`{${e.flags.map(arrayElement).join(',')}}`)
    ].join(',') + '\n'
  }
  return out
}
