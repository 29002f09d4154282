/**
 * One load-generator process of the MQTT benchmarks: a share of the devices, each its own
 * MQTT.js client (own socket, clientId = user name = device id, password = its secret on the
 * gateway), publishing heartbeats and timing each publish → PUBACK (QoS 1) or → written
 * (QoS 0). Forked by mqtt-qos1.ts and offline-detection.ts; not run by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import { heartbeatPayload, heartbeatTopic, type DeviceLogin, type PublisherReply, type PublisherRequest } from './lib/mqtt-messages.js'
import { serveWorker } from './lib/worker-ipc.js'

/** Connections opened at once: a burst of 500 SYNs would overflow the broker's accept backlog. */
const CONNECT_CONCURRENCY = 50
const EXPIRED = Symbol('expired')

const clients: Array<{ id: string; n: number; client: MqttClient }> = []
const nowMs = (): number => performance.timeOrigin + performance.now()

async function connectAll(url: string, devices: DeviceLogin[], keepalive = 120): Promise<PublisherReply> {
  const started = performance.now()
  let next = 0
  const connectNext = async (): Promise<void> => {
    while (next < devices.length) {
      const { id, secret } = devices[next++] as DeviceLogin
      const credentials = secret === undefined ? {} : { username: id, password: secret }
      const client = await mqtt.connectAsync(url, { clientId: id, ...credentials, clean: true, keepalive, reconnectPeriod: 0, connectTimeout: 30_000 })
      // An error on one device's socket is counted by its unacknowledged publishes, not thrown.
      client.on('error', () => {})
      clients.push({ id, n: Number(id.slice(4)) - 1, client })
    }
  }
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, connectNext))
  return { type: 'connected', ms: performance.now() - started }
}

async function publishAll(req: Extract<PublisherRequest, { type: 'publish' }>): Promise<PublisherReply> {
  const latenciesMs: number[] = []
  let acked = 0
  let failed = 0
  let lastAckAt = 0
  // One timer for the whole round; each publish races it, so a lost PUBACK cannot hang the run.
  const expired = sleep(Math.max(0, req.deadline - Date.now()), EXPIRED, { ref: false })
  const lane = async (d: (typeof clients)[number], first: number, delayMs: number): Promise<void> => {
    const topic = heartbeatTopic(d.id)
    if (delayMs > 0) await sleep(delayMs)
    for (let i = first; i < req.perDevice; i += req.window) {
      const payload = heartbeatPayload(d.id, d.n, Math.floor(i / (req.varyEvery ?? 1)), req.intervalS)
      const sent = performance.now()
      const outcome = await Promise.race([d.client.publishAsync(topic, payload, { qos: req.qos }), expired]).catch(() => EXPIRED)
      if (outcome === EXPIRED) { failed += Math.ceil((req.perDevice - i) / req.window); return }
      latenciesMs.push(performance.now() - sent)
      lastAckAt = nowMs()
      acked++
    }
  }
  await sleep(Math.max(0, req.startAt - Date.now()))
  const spreadMs = (req.spreadMs ?? 0) / clients.length
  await Promise.all(clients.flatMap((d, c) => Array.from({ length: req.window }, (_, w) => lane(d, w, c * spreadMs))))
  return { type: 'published', acked, failed, lastAckAt, latenciesMs }
}

async function disconnectAll(): Promise<PublisherReply> {
  await Promise.all(clients.splice(0).map(({ client }) => client.endAsync(true)))
  return { type: 'disconnected' }
}

serveWorker<PublisherRequest, PublisherReply>(async (msg) => {
  if (msg.type === 'connect') return connectAll(msg.url, msg.devices, msg.keepaliveS)
  if (msg.type === 'publish') return publishAll(msg)
  return disconnectAll()
})
