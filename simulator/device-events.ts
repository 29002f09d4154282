import type { Random } from './random.js'

/** A device event as the tracking plan's `alarm_raise` or `qr_scan`, with an id so a retry is recognised. */
export function deviceEvent(random: Random, eventId: string, table: string, store: string, at: number): { event_id: string; event_name: string; body: Record<string, unknown> } {
  const base = { event_id: eventId, event_time: new Date(at).toISOString(), store_id: store }
  if (random.chance(0.5)) {
    const body = { ...base, event_name: 'alarm_raise', properties: { alarm_id: `al-${eventId}`, category: random.pick(['cue', 'light', 'payment']), level: random.pick(['warning', 'high', 'info']), table_id: table } }
    return { event_id: eventId, event_name: 'alarm_raise', body }
  }
  const body = { ...base, event_name: 'qr_scan', properties: { table_code: `${table}-QR`, source_channel: random.pick(['wechat', 'alipay', 'direct']), scan_result: 'success' } }
  return { event_id: eventId, event_name: 'qr_scan', body }
}
