/** What the MQTT benchmark and its worker processes say to each other over IPC. */

export type PublisherRequest =
  | { type: 'connect'; url: string; deviceIds: string[] }
  /** Each device publishes `perDevice` heartbeats, `window` awaiting PUBACK at once, from `startAt` (epoch ms) until done or `deadline`. */
  | { type: 'publish'; startAt: number; perDevice: number; window: number; deadline: number; intervalS: number }
  | { type: 'disconnect' }

export type PublisherReply =
  | { type: 'connected'; ms: number }
  | {
    type: 'published'
    acked: number
    failed: number
    /** Epoch ms (sub-millisecond) of the last PUBACK. */
    lastAckAt: number
    latenciesMs: number[]
  }
  | { type: 'disconnected' }

export type SubscriberRequest =
  | { type: 'connect'; url: string; topic: string }
  /** Resolves when `expected` messages arrived since the last await, or at `timeoutMs`; then counts from zero. */
  | { type: 'await'; expected: number; timeoutMs: number }
  | { type: 'disconnect' }

export type SubscriberReply =
  | { type: 'connected' }
  | { type: 'received'; count: number }
  | { type: 'disconnected' }

/** The heartbeat topic of SPEC §3. */
export const heartbeatTopic = (deviceId: string): string => `devices/${deviceId}/heartbeat`

/** `dev-0001` … : ids sort and read like a real fleet's. */
export const deviceId = (n: number): string => `dev-${String(n + 1).padStart(4, '0')}`

/** Heartbeat `i` of device `n`, with values that move a little, as real ones do. */
export function heartbeatPayload(id: string, n: number, i: number, intervalS: number): string {
  return JSON.stringify({
    device_id: id, table_id: `t${(n % 40) + 1}`, store_id: `s${String((n % 12) + 1).padStart(2, '0')}`, online: 1,
    latency_ms: 20 + ((i * 7 + n) % 80), battery_level: 100 - ((i + n) % 50), signal_strength: -50 - ((i + n) % 30), interval_s: intervalS
  })
}
