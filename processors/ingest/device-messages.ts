import type { Rejection } from '../pipeline/event.js'

/** What a device says on `devices/{id}/status`: `online` / `offline`, as text or `{ "status": … }`. */
export type ParsedStatus = { ok: true; online: boolean } | { ok: false; rejection: Rejection }

export function parseStatus(payload: Buffer): ParsedStatus {
  const text = payload.toString('utf8').trim()
  let word: unknown = text
  if (text.startsWith('{')) {
    try {
      const doc = JSON.parse(text) as Record<string, unknown>
      word = doc.status ?? doc.state
    } catch (err) {
      return { ok: false, rejection: { code: 'malformed_json', path: '', message: (err as Error).message } }
    }
  }
  if (word === 'online' || word === 'offline') return { ok: true, online: word === 'online' }
  return { ok: false, rejection: { code: 'constraint_violation', path: '/status', message: 'a status is online or offline' } }
}

/**
 * The events a device publishes on `devices/{id}/events`: one event object, an array, or a
 * batch `{ events: [...] }`. Every event belongs to the publishing device: its `device_id` is
 * the topic's, and an event naming another device is refused (`device_mismatch`), so a device
 * can never write as another one.
 */
export function parseDeviceEvents(deviceId: string, payload: Buffer): { events: unknown[]; rejections: Map<number, Rejection> } | { rejection: Rejection } {
  let doc: unknown
  try {
    doc = JSON.parse(payload.toString('utf8'))
  } catch (err) {
    return { rejection: { code: 'malformed_json', path: '', message: (err as Error).message } }
  }
  const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.events) ? doc.events : [doc]
  const rejections = new Map<number, Rejection>()
  const events = list.map((raw: unknown, i: number) => {
    if (!isObject(raw)) return raw
    if (raw.device_id !== undefined && raw.device_id !== deviceId) {
      rejections.set(i, { code: 'device_mismatch', path: '/device_id', message: `device_id ${String(raw.device_id)} does not match the topic's ${deviceId}` })
      return raw
    }
    return { ...raw, device_id: deviceId, platform: raw.platform ?? 'device' }
  })
  return { events, rejections }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
