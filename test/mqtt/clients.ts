/**
 * MQTT.js clients for the conformance suite, set up the way a device would be: MQTT 3.1.1,
 * an explicit client id, clean flag and keepalive, and no automatic reconnect, so every
 * reconnection in a case is one the case makes on purpose.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt'

/** A received PUBLISH as the suite compares it: the whole of what a device can observe. */
export interface Message { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }

export const toMessage = (p: IPublishPacket): Message =>
  ({ topic: p.topic, payload: p.payload.toString(), qos: p.qos, retain: p.retain, dup: p.dup })

/** The message a case expects: QoS 1, not retained, not a duplicate, unless `over` says otherwise. */
export const msg = (topic: string, payload: string, over: Partial<Omit<Message, 'topic' | 'payload'>> = {}): Message =>
  ({ topic, payload, qos: 1, retain: false, dup: false, ...over })

/** How long a case waits for messages that must NOT arrive (and for extras after the expected ones). */
export const QUIET_MS = 400
const ARRIVAL_TIMEOUT_MS = 3_000

/** Messages a client received, in order. */
export interface Inbox {
  push(message: Message): void
  /**
   * Waits until `count` messages are in, or `done` says the list is complete (or the timeout
   * passes), then QUIET_MS more for any extra, and takes everything received so far:
   * asserting on the result catches both missing and unexpected messages.
   */
  settle(until: number | ((received: Message[]) => boolean), timeoutMs?: number): Promise<Message[]>
}

export function createInbox(): Inbox {
  const messages: Message[] = []
  let wake: (() => void) | undefined
  const arrival = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    wake = () => { clearTimeout(timer); resolve() }
  })
  return {
    push(message) { messages.push(message); wake?.() },
    async settle(until, timeoutMs = ARRIVAL_TIMEOUT_MS) {
      const done = typeof until === 'number' ? (): boolean => messages.length >= until : (): boolean => until(messages)
      const deadline = Date.now() + timeoutMs
      while (!done() && Date.now() < deadline) await arrival(deadline - Date.now())
      await sleep(QUIET_MS)
      return messages.splice(0)
    }
  }
}

export interface Device {
  client: MqttClient
  connack: IConnackPacket
  inbox: Inbox
  /** Resolves with Date.now() when the connection closes, whoever closed it. */
  closed: Promise<number>
  /** Drops the TCP connection without DISCONNECT, as a power cut or a dead link would. */
  cut(): void
}

export interface DeviceOptions {
  clientId: string
  clean?: boolean
  /** Seconds; 0 turns keepalive off (MQTT.js would then never ping). */
  keepalive?: number
  will?: IClientOptions['will']
  /** MQTT.js calls this before it PUBACKs a QoS 1 message; never calling back withholds the PUBACK. */
  handleMessage?: MqttClient['handleMessage']
}

/** Connects and resolves once the CONNACK is in; a refused or failed connection rejects. */
export async function connectDevice(url: string, opts: DeviceOptions): Promise<Device> {
  const client = mqtt.connect(url, {
    protocolVersion: 4, clientId: opts.clientId, clean: opts.clean ?? true, keepalive: opts.keepalive ?? 30,
    reconnectPeriod: 0, connectTimeout: 5_000, ...(opts.will === undefined ? {} : { will: opts.will })
  })
  if (opts.handleMessage !== undefined) client.handleMessage = opts.handleMessage
  const inbox = createInbox()
  client.on('message', (_topic, _payload, packet) => inbox.push(toMessage(packet)))
  const closed = new Promise<number>((resolve) => client.once('close', () => resolve(Date.now())))
  // Kept for the whole life of the client: an 'error' with no listener would throw.
  const failed = new Promise<never>((_resolve, reject) => client.on('error', reject))
  failed.catch(() => {})
  try {
    const connack = await Promise.race([
      new Promise<IConnackPacket>((resolve) => client.once('connect', resolve)),
      failed,
      closed.then(() => { throw new Error(`${opts.clientId} closed before its CONNACK`) })
    ])
    return { client, connack, inbox, closed, cut: () => client.stream.destroy() }
  } catch (err) {
    client.end(true)
    throw err
  }
}

/**
 * Names for one case: topics under `conf/<random>/` (never `devices/`, which PulseGate
 * ingests) and client ids unique to the run, at most 23 bytes as MQTT-3.1.3-5 guarantees.
 */
export function caseNames(): { topic(suffix: string): string; id(role: string): string; root: string } {
  const tag = randomBytes(5).toString('hex')
  const root = `conf/${tag}`
  return { root, topic: (suffix) => `${root}/${suffix}`, id: (role) => `c${tag}-${role}`.slice(0, 23) }
}

/** Ends every device a case opened, forcibly: a case may leave some in odd states. */
export function deviceTracker(): { connect(url: string, opts: DeviceOptions): Promise<Device>; endAll(): Promise<void> } {
  const open = new Set<MqttClient>()
  return {
    async connect(url, opts) {
      const device = await connectDevice(url, opts)
      open.add(device.client)
      return device
    },
    async endAll() {
      await Promise.all([...open].map((client) => client.endAsync(true)))
      open.clear()
    }
  }
}

/** `promise`'s value, or a rejection naming `what` once `ms` have passed. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
