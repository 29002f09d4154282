/**
 * Wire formats: how each client writes a draft (gateway/http/shapes/*.ts reads them back).
 * - `v1`: PulseGate's own event, also the billiards plan's `/api/track` events (seed 001 §4.2);
 * - `escort`: the escort SDK's camelCase TrackingEvent (seed 000 §3.1);
 * - `report`: the statistics design's flat record, `event_type`, local `timestamp`, yuan
 *   (seed 002 §4.2).
 *
 * Each also says what the gateway stores of the draft once it is accepted (`stored`), and how
 * finely it writes time, for the ground truth (flow.ts).
 */
import type { Draft } from './draft.js'
import { storedOf, type StoredEvent } from './stored.js'
import { iso, wallTime } from './time.js'

export interface Wire {
  /** The event as its client writes it, stamped `eventTime` by the client's clock. */
  write(d: Draft, eventTime: number, timeZone: string): Record<string, unknown>
  /** Its fields and properties as the gateway stores them (gateway/http/shapes/*.ts, then normalize). */
  stored(d: Draft): StoredEvent
  /** The step of the event times it writes, ms: the gateway reads back the time truncated to it. */
  resolutionMs: number
}

export const v1Wire: Wire = {
  write: (d, eventTime) => ({
    ...(d.id === null ? {} : { event_id: d.id }),
    event_name: d.name, event_time: iso(eventTime), ...d.fields, properties: { ...d.props }
  }),
  stored: (d) => storedOf(d.fields, d.props),
  resolutionMs: 1
}

/** The route snake-cases what `write` camel-cased (gateway/http/shapes/escort.ts), so the gateway stores the draft's own keys. */
export const escortWire: Wire = {
  write: (d, eventTime) => ({
    ...(d.id === null ? {} : { eventId: d.id }),
    eventName: d.name, eventTime: iso(eventTime), ...camelKeys(d.fields), properties: camelKeys(d.props)
  }),
  stored: (d) => storedOf(d.fields, d.props),
  resolutionMs: 1
}

/** Plan names whose seed 002 event type differs (the inverse of REPORT_EVENT_NAMES, gateway/http/shapes/report.ts). */
const REPORT_TYPES: ReadonlyMap<string, string> = new Map([
  ['real_name_verified', 'real_name_auth'], ['card_bound', 'bind_card'],
  ['credit_order_created', 'order_create'], ['member_deduction', 'deduction_success']
])

/** What an event type says that its plan name does not (IMPLIED, gateway/http/shapes/report.ts). */
const REPORT_IMPLIED: ReadonlyMap<string, Record<string, unknown>> = new Map([['member_deduction', { status: 'success' }]])

/**
 * Flat: every property sits beside the fields, so the gateway reads the canonical ones among
 * them as fields (finance's `device_type`); `amount` goes out in yuan and is stored in fen
 * again; `timestamp` is local time to the second.
 */
export const reportWire: Wire = {
  write: (d, eventTime, timeZone) => {
    const { amount, ...props } = d.props
    return {
      event_type: REPORT_TYPES.get(d.name) ?? d.name, ...d.fields, ...props,
      ...(amount === undefined ? {} : { amount: typeof amount === 'number' ? yuan(amount) : amount }),
      timestamp: wallTime(eventTime, timeZone)
    }
  },
  stored: (d) => storedOf({ ...REPORT_IMPLIED.get(d.name), ...d.fields, ...d.props }, {}),
  resolutionMs: 1000
}

/** Fen → decimal yuan text, `4500` → `"45.00"`, as event_logs.amount DECIMAL(18,2) prints it. */
export const yuan = (fen: number): string => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function camelKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]))
}
