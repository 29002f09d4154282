import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { deviceEvent } from './device-events.js'
import type { DevicePlan } from './plan.js'
import type { Random } from './random.js'
import { createBeatLoop, createTelemetry } from './telemetry.js'
import type { TruthWriter } from './truth-writer.js'

/** How a device goes quiet (issue 5's faults, as the device itself experiences them). */
export type CutMode = 'power_loss' | 'disconnect' | 'will' | 'silent'

/** One simulated device, over MQTT or HTTP: the runner only starts, cuts, resumes and stops it. */
export interface SimDevice {
  readonly plan: DevicePlan
  /** Connects (MQTT) and starts heartbeating; the first heartbeat goes at once. */
  start(): Promise<void>
  cut(mode: CutMode): Promise<void>
  resume(): Promise<void>
  stop(): Promise<void>
  /** When the last heartbeat was sent (epoch ms), null before the first. */
  readonly lastBeatAt: number | null
  /**
   * When the last heartbeat known to have reached the gateway was sent: PUBACK (QoS 1), written
   * to the socket (QoS 0), answered `accepted` (HTTP). Presence predictions start from it.
   */
  readonly lastDeliveredBeatAt: number | null
  readonly connected: boolean
}

export interface DeviceDeps {
  truth: TruthWriter
  random: Random
  jitter: number
  /** Device events per heartbeat tick (a probability). */
  eventChance: number
  /** Makes each event id unique to this run, so runs against one gateway never collide. */
  runToken: string
  onError(err: Error): void
}

/**
 * A device over MQTT with its own connection and credentials (user name = client id = device
 * id, password = secret). MQTT.js reconnection is off: the runner decides when a device comes
 * back, and a fresh client never resends an old client's in-flight QoS 1 message, so every
 * acknowledged heartbeat is sent exactly once.
 */
export function createMqttDevice(plan: DevicePlan, secret: string, mqttUrl: string, deps: DeviceDeps): SimDevice {
  const { truth, random } = deps
  const telemetry = createTelemetry(random)
  const statusTopic = `devices/${plan.id}/status`
  let client: MqttClient | null = null
  let lastBeatAt: number | null = null
  let lastDeliveredBeatAt: number | null = null
  let events = 0
  const options: IClientOptions = {
    clientId: plan.id, username: plan.id, password: secret, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 30, clean: true,
    ...(plan.will ? { will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } } : {})
  }

  const publish = (kind: 'heartbeat' | 'event', topic: string, payload: object, qos: 0 | 1, eventId: string | null, eventName: string, ts: number | null): void => {
    const c = client
    if (c === null || !c.connected) return
    const base = { kind, device_id: plan.id, app: null, event_id: eventId, event_name: eventName, ts }
    truth.write({ type: 'sent', ...base, at: Date.now(), qos })
    c.publish(topic, JSON.stringify(payload), { qos }, (err) => {
      if (err == null && kind === 'heartbeat' && ts !== null) lastDeliveredBeatAt = Math.max(lastDeliveredBeatAt ?? 0, ts)
      // QoS 0 has no acknowledgement: the callback only says the packet was written.
      if (err == null && qos === 1) truth.write({ type: 'ack', ...base, at: Date.now(), ack: 'puback', http_status: null, status: 'puback', expected: null })
    })
  }

  const tick = (): void => {
    const ts = Date.now()
    lastBeatAt = ts
    const payload = { device_id: plan.id, store_id: plan.store, table_id: plan.table, online: 1, ...telemetry(), interval_s: plan.intervalS, ts }
    publish('heartbeat', `devices/${plan.id}/heartbeat`, payload, plan.qos, null, 'heartbeat_receive', ts)
    if (random.chance(deps.eventChance)) {
      const e = deviceEvent(random, `${plan.id}-${deps.runToken}-${++events}`, plan.table, plan.store, ts)
      publish('event', `devices/${plan.id}/events`, e.body, 1, e.event_id, e.event_name, null)
    }
  }
  const loop = createBeatLoop(plan.intervalS * 1000, deps.jitter, random, tick)

  const connect = async (): Promise<void> => {
    const c = await mqtt.connectAsync(mqttUrl, options)
    c.on('error', (err) => deps.onError(err))
    client = c
    loop.start(true)
  }
  const drop = async (mode: CutMode): Promise<void> => {
    loop.stop()
    const c = client
    client = null
    if (c === null) return
    // Power loss and a Will fault: the socket dies with no DISCONNECT [MQTT-3.1.2-8], so the
    // broker publishes the Will if there is one; a clean DISCONNECT discards it [MQTT-3.1.2-10].
    if (mode === 'disconnect' || mode === 'silent') await c.endAsync()
    else {
      c.stream.destroy()
      await c.endAsync(true)
    }
  }
  // One operation at a time: a cut that arrives while a reconnect is under way (one fault ending
  // as another starts) must drop the new connection, not find none and leave it running.
  let queue = Promise.resolve()
  const serial = (op: () => Promise<void>): Promise<void> => (queue = queue.then(op, op))
  return {
    plan,
    start: () => serial(connect),
    cut: (mode) => serial(() => drop(mode)),
    resume: () => serial(connect),
    stop: () => serial(() => drop('disconnect')),
    get lastBeatAt() { return lastBeatAt },
    get lastDeliveredBeatAt() { return lastDeliveredBeatAt },
    get connected() { return client?.connected ?? false }
  }
}
