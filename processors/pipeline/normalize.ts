import type { BatchContext } from './context.js'
import { CANONICAL_VALUE, type CanonicalEvent, type Rejection } from './event.js'
import { parseTimestamp } from './time.js'

export type StepResult = { ok: true; event: CanonicalEvent } | { ok: false; rejection: Rejection }

const STRING_FIELDS = {
  user_id: 'userId', session_id: 'sessionId', store_id: 'storeId', device_id: 'deviceId',
  platform: 'platform', app_version: 'appVersion', channel: 'channel', device_type: 'deviceType',
  correlation_id: 'correlationId'
} as const
const RESERVED = new Set(['event_id', 'event_name', 'event_time', 'properties', 'sent_at', 'schema_version', 'write_key', ...Object.keys(STRING_FIELDS)])
const NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/
/** The escort platform's `miniapp` is our `miniprogram` (SPEC §2). */
const PLATFORM_ALIASES: Record<string, string> = { miniapp: 'miniprogram' }

const reject = (code: string, path: string, message: string): StepResult => ({ ok: false, rejection: { code, path, message } })

/**
 * Raw JSON event (the `/v1/batch` shape: snake_case canonical fields, `properties`, other
 * top-level fields folded into properties) → canonical event. `occurredAt` starts equal to
 * `eventTime`; the time step corrects it.
 */
export function normalize(raw: unknown, ctx: BatchContext): StepResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return reject('not_an_object', '', 'an event must be a JSON object')
  const r = raw as Record<string, unknown>
  if (typeof r.event_name !== 'string') return reject(r.event_name === undefined ? 'required_missing' : 'type_mismatch', '/event_name', 'event_name must be a string')
  if (!NAME.test(r.event_name)) return reject('bad_event_name', '/event_name', 'event_name must start with a letter and hold at most 128 letters, digits, _ . : -')
  // Some SDKs send null for an id they do not have: the same as leaving it out.
  if (r.event_id !== undefined && r.event_id !== null && (typeof r.event_id !== 'string' || r.event_id.length === 0 || r.event_id.length > 128)) {
    return reject('bad_event_id', '/event_id', 'event_id must be a string of 1 to 128 characters')
  }
  if (r.event_time === undefined) return reject('required_missing', '/event_time', 'event_time is required')
  const eventTime = parseTimestamp(r.event_time)
  if (eventTime === undefined) return reject('bad_timestamp', '/event_time', 'event_time must be ISO 8601 with a zone, or epoch milliseconds')
  if (r.properties !== undefined && (r.properties === null || typeof r.properties !== 'object' || Array.isArray(r.properties))) {
    return reject('type_mismatch', '/properties', 'properties must be an object')
  }
  const strings = readStrings(r)
  if (typeof strings === 'string') return reject('type_mismatch', `/${strings}`, `${strings} must be a string`)
  return { ok: true, event: build(r, strings, eventTime, ctx) }
}

function readStrings(r: Record<string, unknown>): Record<string, string | null> | string {
  const out: Record<string, string | null> = {}
  for (const [field, key] of Object.entries(STRING_FIELDS)) {
    const v = r[field]
    if (v === undefined || v === null) out[key] = null
    else if (typeof v === 'string') out[key] = v
    else if (typeof v === 'number' && field !== 'platform') out[key] = String(v)
    else return field
  }
  const p = out.platform
  if (p !== null && p !== undefined) out.platform = PLATFORM_ALIASES[p] ?? p
  return out
}

/**
 * A flat event's field named like a canonical one (`channel`) that the plan declares as a
 * property of this event is that property — billiards `payment_success.channel` is the payment
 * method, not the acquisition channel — so it moves into properties. Ids stay canonical: the
 * validator finds them at the top level.
 */
function claimDeclared(r: Record<string, unknown>, s: Record<string, string | null>, properties: Record<string, unknown>, declared: ReadonlySet<string> | undefined): void {
  if (declared === undefined) return
  for (const [field, key] of Object.entries(STRING_FIELDS)) {
    if (field in CANONICAL_VALUE || !declared.has(field) || r[field] === undefined || field in properties) continue
    properties[field] = r[field]
    s[key] = null
  }
}

function build(r: Record<string, unknown>, s: Record<string, string | null>, eventTime: number, ctx: BatchContext): CanonicalEvent {
  const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !RESERVED.has(k)))
  const properties = { ...extra, ...(r.properties as Record<string, unknown> | undefined) }
  claimDeclared(r, s, properties, ctx.plan.events.get(r.event_name as string)?.declared)
  const lifted = (field: string, own: string | null | undefined): string | null =>
    own ?? (typeof properties[field] === 'string' ? properties[field] as string : null)
  return {
    appId: ctx.appId, eventId: (r.event_id as string | null | undefined) ?? '', eventName: r.event_name as string,
    eventTime, sentAt: ctx.sentAt, receivedAt: ctx.receivedAt, occurredAt: eventTime, skewMs: 0,
    source: ctx.source, schemaVersion: ctx.schemaVersion,
    // Seeds' clients often carry ids inside properties (billiards session_start): lift them.
    storeId: lifted('store_id', s.storeId), deviceId: lifted('device_id', s.deviceId),
    userId: lifted('user_id', s.userId), sessionId: lifted('session_id', s.sessionId),
    platform: s.platform ?? null, appVersion: s.appVersion ?? null, channel: s.channel ?? null,
    deviceType: s.deviceType ?? null, correlationId: s.correlationId ?? null,
    properties,
    flags: ctx.extraFlags === undefined ? [] : [...ctx.extraFlags]
  }
}
