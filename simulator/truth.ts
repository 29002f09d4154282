import { readFileSync } from 'node:fs'
import type { FaultKind, Scenario } from './scenario.js'
import type { Transport } from './plan.js'

/**
 * The ground truth of a run (`--truth file.jsonl`): one JSON record a line, each with a
 * `type`. Times are epoch ms. A test reads it back with `readTruth` and compares it with what
 * PulseGate stored.
 */
export type TruthRecord =
  | { type: 'scenario'; scenario: Scenario; started_at: number }
  | { type: 'device'; device_id: string; store_id: string; table_id: string; interval_s: number; transport: Transport; will: boolean; qos: 0 | 1 }
  | { type: 'sent'; kind: SentKind; device_id: string | null; app: string | null; event_id: string | null; event_name: string; at: number; qos: 0 | 1 | null; ts: number | null }
  | { type: 'ack'; kind: SentKind; device_id: string | null; app: string | null; event_id: string | null; event_name: string; at: number; ack: 'puback' | 'http'; http_status: number | null; status: AckStatus; expected: 'accepted' | 'rejected' | 'duplicate' | null; reason?: string; event?: AppEventTruth; ts: number | null }
  | { type: 'fault'; id: string; kind: FaultKind; store_id: string | null; targets: string[]; start: number; end: number }
  | { type: 'expected_transition'; device_id: string; state: 'online' | 'offline'; reason: ExpectedReason; earliest: number; latest: number; cause: string | null }
  | { type: 'summary'; ended_at: number; counts: Record<string, number> }

/**
 * What an app event answered `accepted` is, as PulseGate stores it: enough to compute the
 * statistics it should show. `at` is its `occurred_at`, exact unless `at_max` is there: a
 * skewed client's event is shifted by the gateway's receipt time, which lies between the
 * request going out and its answer, so `occurred_at` is in [`at`, `at_max`].
 */
export interface AppEventTruth {
  at: number
  at_max?: number
  /** Canonical fields (user_id, session_id, store_id, platform, device_type, ...), snake_case. */
  fields: Record<string, string>
  /** Properties, snake_case, money in integer minor units. */
  props: Record<string, unknown>
}

/** `heartbeat`: MQTT or HTTP heartbeat; `event`: a device event; `app`: an app event over HTTP. */
export type SentKind = 'heartbeat' | 'event' | 'app'
/** `puback` for MQTT; the per-event status of an HTTP answer; `error` when the request failed. */
export type AckStatus = 'puback' | 'accepted' | 'duplicate' | 'rejected' | 'dropped' | 'error'
export type ExpectedReason = 'first_heartbeat' | 'heartbeat_timeout' | 'will' | 'closed'

type Of<T extends TruthRecord['type']> = Extract<TruthRecord, { type: T }>

export interface Truth {
  scenario: Of<'scenario'>
  devices: Array<Of<'device'>>
  sent: Array<Of<'sent'>>
  acks: Array<Of<'ack'>>
  faults: Array<Of<'fault'>>
  transitions: Array<Of<'expected_transition'>>
  summary: Of<'summary'> | null
}

export function parseTruth(text: string): Truth {
  const truth: Omit<Truth, 'scenario'> & { scenario: Of<'scenario'> | null } = { scenario: null, devices: [], sent: [], acks: [], faults: [], transitions: [], summary: null }
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    const r = JSON.parse(line) as TruthRecord
    if (r.type === 'scenario') truth.scenario = r
    else if (r.type === 'device') truth.devices.push(r)
    else if (r.type === 'sent') truth.sent.push(r)
    else if (r.type === 'ack') truth.acks.push(r)
    else if (r.type === 'fault') truth.faults.push(r)
    else if (r.type === 'expected_transition') truth.transitions.push(r)
    else if (r.type === 'summary') truth.summary = r
    else throw new Error(`line ${i + 1}: unknown record type ${JSON.stringify((r as { type: unknown }).type)}`)
  })
  if (truth.scenario === null) throw new Error('no scenario record: not a ground-truth file')
  return truth as Truth
}

export const readTruth = (path: string): Truth => parseTruth(readFileSync(path, 'utf8'))

/** Acknowledged MQTT heartbeats at QoS 1: each must be exactly one `heartbeats` row (device, `ts`). */
export const ackedHeartbeats = (t: Truth): Array<{ deviceId: string; ts: number }> =>
  t.acks.filter((a) => a.kind === 'heartbeat' && a.ack === 'puback' && a.device_id !== null && a.ts !== null)
    .map((a) => ({ deviceId: a.device_id as string, ts: a.ts as number }))

/** Acknowledged device events (PUBACK): each must be stored once under its event_id. */
export const ackedDeviceEvents = (t: Truth): string[] =>
  t.acks.filter((a) => a.kind === 'event' && a.status === 'puback' && a.event_id !== null).map((a) => a.event_id as string)

/** An app event PulseGate accepted, with what it is: each must be stored once, and counted by the statistics. */
export interface AcceptedAppEvent extends AppEventTruth { app: string; eventId: string; eventName: string }

/** The accepted app events whose content the truth holds (duplicates are answered `duplicate`, so appear once). */
export const acceptedAppEvents = (t: Truth): AcceptedAppEvent[] =>
  t.acks.flatMap((a) => a.kind === 'app' && a.status === 'accepted' && a.event !== undefined && a.app !== null && a.event_id !== null
    ? [{ app: a.app, eventId: a.event_id, eventName: a.event_name, ...a.event }]
    : [])

/** A transition PulseGate stored (`device_online` / `device_offline` in `events`). */
export interface StoredTransition { deviceId: string; state: 'online' | 'offline'; reason: string; at: number }

/** Expected transitions with no stored match (same device, state and reason, inside the window). */
export function missingTransitions(t: Truth, stored: StoredTransition[]): Truth['transitions'] {
  const used = new Set<StoredTransition>()
  return t.transitions.filter((e) => {
    const match = stored.find((s) => !used.has(s) && s.deviceId === e.device_id && s.state === e.state && s.reason === e.reason && s.at >= e.earliest && s.at <= e.latest)
    if (match !== undefined) used.add(match)
    return match === undefined
  })
}

/** Occurrences of each key: to find what a store holds more than once. */
export function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}
