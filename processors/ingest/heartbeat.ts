import { Ajv } from 'ajv'
import type { CanonicalEvent, HeartbeatRow, Rejection } from '../pipeline/event.js'
import { parseTimestamp } from '../pipeline/time.js'

/** A device heartbeat as SPEC §3 defines its JSON payload. */
export interface Heartbeat {
  device_id?: string
  table_id?: string
  store_id?: string
  online?: 0 | 1 | boolean
  latency_ms?: number
  battery_level?: number
  signal_strength?: number
  interval_s?: number
  ts?: number | string
  traceparent?: string
}

const schema = {
  type: 'object',
  properties: {
    device_id: { type: 'string', maxLength: 128 },
    table_id: { type: 'string', maxLength: 128 },
    store_id: { type: 'string', maxLength: 128 },
    online: { anyOf: [{ enum: [0, 1] }, { type: 'boolean' }] },
    latency_ms: { type: 'number', minimum: 0 },
    battery_level: { type: 'number', minimum: 0, maximum: 100 },
    signal_strength: { type: 'number', minimum: -200, maximum: 0 },
    interval_s: { type: 'integer', minimum: 1, maximum: 86400 },
    ts: { anyOf: [{ type: 'number' }, { type: 'string' }] },
    traceparent: { type: 'string', maxLength: 55 }
  },
  additionalProperties: true
}

const check = new Ajv({ allErrors: false }).compile<Heartbeat>(schema)

export type ParsedHeartbeat = { ok: true; heartbeat: Heartbeat; deviceTime: number | null } | { ok: false; rejection: Rejection }

/** Parses and checks a heartbeat payload published on `devices/{deviceId}/heartbeat`. */
export function parseHeartbeat(deviceId: string, payload: Buffer): ParsedHeartbeat {
  let doc: unknown
  try {
    doc = JSON.parse(payload.toString('utf8'))
  } catch (err) {
    return { ok: false, rejection: { code: 'malformed_json', path: '', message: (err as Error).message } }
  }
  if (!check(doc)) {
    const e = check.errors?.[0]
    return { ok: false, rejection: { code: e?.keyword === 'type' ? 'type_mismatch' : 'constraint_violation', path: e?.instancePath ?? '', message: e?.message ?? 'invalid heartbeat' } }
  }
  if (doc.device_id !== undefined && doc.device_id !== deviceId) {
    return { ok: false, rejection: { code: 'device_mismatch', path: '/device_id', message: `device_id ${doc.device_id} does not match the topic's ${deviceId}` } }
  }
  const deviceTime = doc.ts === undefined ? null : parseTimestamp(doc.ts) ?? null
  if (doc.ts !== undefined && deviceTime === null) return { ok: false, rejection: { code: 'bad_timestamp', path: '/ts', message: 'ts must be epoch ms or ISO 8601 with a zone' } }
  return { ok: true, heartbeat: doc, deviceTime }
}

export function heartbeatRow(deviceId: string, hb: Heartbeat, deviceTime: number | null, receivedAt: number, source: HeartbeatRow['source']): HeartbeatRow {
  return {
    deviceId, receivedAt, deviceTime, source,
    storeId: hb.store_id ?? null, tableId: hb.table_id ?? null,
    online: hb.online === 0 || hb.online === false ? 0 : 1,
    latencyMs: hb.latency_ms === undefined ? null : Math.round(hb.latency_ms),
    batteryLevel: hb.battery_level === undefined ? null : Math.round(hb.battery_level),
    signalStrength: hb.signal_strength === undefined ? null : Math.round(hb.signal_strength)
  }
}

/** An HTTP `heartbeat_receive` event (the billiards plan's devices without MQTT) as a heartbeat. */
export function heartbeatOfEvent(e: CanonicalEvent): Heartbeat | null {
  if (e.eventName !== 'heartbeat_receive' || e.deviceId === null) return null
  const p = e.properties
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
  return {
    device_id: e.deviceId, store_id: e.storeId ?? undefined,
    online: p.online === 0 || p.online === false ? 0 : 1,
    latency_ms: num(p.latency_ms), interval_s: num(p.interval_s)
  }
}
