/**
 * Wire formats: how each client writes a draft (gateway/http/shapes/*.ts reads them back).
 * - `v1`: PulseGate's own event, also the billiards plan's `/api/track` events (seed 001 §4.2);
 * - `escort`: the escort SDK's camelCase TrackingEvent (seed 000 §3.1);
 * - `report`: the statistics design's flat record, `event_type`, local `timestamp`, yuan
 *   (seed 002 §4.2).
 */
import type { Draft } from './draft.js'
import { iso, wallTime } from './time.js'

export type Wire = (d: Draft, eventTime: number, timeZone: string) => Record<string, unknown>

export const v1Wire: Wire = (d, eventTime) => ({
  ...(d.id === null ? {} : { event_id: d.id }),
  event_name: d.name, event_time: iso(eventTime), ...d.fields, properties: { ...d.props }
})

export const escortWire: Wire = (d, eventTime) => ({
  ...(d.id === null ? {} : { eventId: d.id }),
  eventName: d.name, eventTime: iso(eventTime), ...camelKeys(d.fields), properties: camelKeys(d.props)
})

/** Plan names whose seed 002 event type differs (the inverse of REPORT_EVENT_NAMES, gateway/http/shapes/report.ts). */
const REPORT_TYPES: ReadonlyMap<string, string> = new Map([
  ['real_name_verified', 'real_name_auth'], ['card_bound', 'bind_card'],
  ['credit_order_created', 'order_create'], ['member_deduction', 'deduction_success']
])

export const reportWire: Wire = (d, eventTime, timeZone) => {
  const { amount, ...props } = d.props
  return {
    event_type: REPORT_TYPES.get(d.name) ?? d.name, ...d.fields, ...props,
    ...(amount === undefined ? {} : { amount: typeof amount === 'number' ? yuan(amount) : amount }),
    timestamp: wallTime(eventTime, timeZone)
  }
}

/** Fen → decimal yuan text, `4500` → `"45.00"`, as event_logs.amount DECIMAL(18,2) prints it. */
export const yuan = (fen: number): string => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function camelKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]))
}
