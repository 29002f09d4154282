/** What the MQTT benchmarks and their worker processes say to each other over IPC, and how the workers are started. */
import { forkWorker, type Worker } from './worker-ipc.js'

/** A device of a publisher's share, with its secret on the gateway (none on mosquitto, which is anonymous). */
export interface DeviceLogin { id: string; secret?: string | undefined }

export type PublisherRequest =
  /** `keepaliveS` 0 turns keepalive off (offline detection: only the heartbeat deadline may fire). */
  | { type: 'connect'; url: string; devices: DeviceLogin[]; keepaliveS?: number }
  /**
   * Each device publishes `perDevice` heartbeats, `window` awaiting PUBACK at once, from `startAt` (epoch ms) until done or
   * `deadline`. At QoS 0 a publish counts as done once written to the socket, so devices send back to back. `spreadMs`
   * staggers the devices' first publish evenly over that span (offline detection: deadlines spread as a fleet's are).
   * `varyEvery`: a device's values move every that many heartbeats (1: every one).
   */
  | { type: 'publish'; startAt: number; perDevice: number; window: number; deadline: number; intervalS: number; qos: 0 | 1; spreadMs?: number; varyEvery?: number }
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
  /** `watch`: also note when each topic first receives this payload, for `arrivals`. */
  | { type: 'connect'; url: string; topic: string; qos: 0 | 1; username?: string; password?: string; watch?: string }
  /** Resolves when `expected` messages arrived since the last await, none for `idleMs`, or at `timeoutMs`; then counts from zero. */
  | { type: 'await'; expected: number; timeoutMs: number; idleMs?: number }
  | { type: 'arrivals' }
  | { type: 'disconnect' }

export type SubscriberReply =
  | { type: 'connected' }
  /** `lastAt`: epoch ms (sub-millisecond) the last counted message arrived. */
  | { type: 'received'; count: number; lastAt: number }
  /** `at`: epoch ms (sub-millisecond) each topic first received the watched payload. */
  | { type: 'arrivals'; at: Record<string, number> }
  | { type: 'disconnected' }

/** The heartbeat topic of SPEC §3. */
export const heartbeatTopic = (deviceId: string): string => `devices/${deviceId}/heartbeat`

/** `dev-0001` … : ids sort and read like a real fleet's. */
export const deviceId = (n: number): string => `dev-${String(n + 1).padStart(4, '0')}`

/** Where device `n` stands: 12 stores of 40 tables. */
export const deviceLocation = (n: number): { store_id: string; table_id: string } =>
  ({ store_id: `s${String((n % 12) + 1).padStart(2, '0')}`, table_id: `t${(n % 40) + 1}` })

/** Heartbeat `i` of device `n`, with values that move a little, as real ones do. */
export function heartbeatPayload(id: string, n: number, i: number, intervalS: number): string {
  const { store_id, table_id } = deviceLocation(n)
  return JSON.stringify({
    device_id: id, table_id, store_id, online: 1,
    latency_ms: 20 + ((i * 7 + n) % 80), battery_level: 100 - ((i + n) % 50), signal_strength: -50 - ((i + n) % 30), interval_s: intervalS
  })
}

export type Publisher = Worker<PublisherRequest, PublisherReply>
export type Subscriber = Worker<SubscriberRequest, SubscriberReply>

export const forkPublisher = (name: string): Publisher => forkWorker(new URL('../mqtt-publisher-worker.ts', import.meta.url), name)
export const forkSubscriber = (name: string): Subscriber => forkWorker(new URL('../mqtt-subscriber-worker.ts', import.meta.url), name)
