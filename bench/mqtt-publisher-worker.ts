/**
 * One load-generator process of the MQTT benchmark: a share of the 1,000 devices, each its own
 * MQTT.js client (own socket, own clientId), publishing QoS 1 heartbeats and timing each
 * publish → PUBACK. Forked by mqtt-qos1.ts; not run by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import { heartbeatPayload, heartbeatTopic, type PublisherReply, type PublisherRequest } from './lib/mqtt-messages.js'
import { serveWorker } from './lib/worker-ipc.js'

/** Connections opened at once: a burst of 500 SYNs would overflow the broker's accept backlog. */
const CONNECT_CONCURRENCY = 50
const EXPIRED = Symbol('expired')

const clients: Array<{ id: string; n: number; client: MqttClient }> = []
const nowMs = (): number => performance.timeOrigin + performance.now()

async function connectAll(url: string, deviceIds: string[]): Promise<PublisherReply> {
  const started = performance.now()
  let next = 0
  const connectNext = async (): Promise<void> => {
    while (next < deviceIds.length) {
      const id = deviceIds[next++] as string
      const client = await mqtt.connectAsync(url, { clientId: id, clean: true, keepalive: 120, reconnectPeriod: 0, connectTimeout: 30_000 })
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
  const lane = async (d: (typeof clients)[number], first: number): Promise<void> => {
    const topic = heartbeatTopic(d.id)
    for (let i = first; i < req.perDevice; i += req.window) {
      const payload = heartbeatPayload(d.id, d.n, i, req.intervalS)
      const sent = performance.now()
      const outcome = await Promise.race([d.client.publishAsync(topic, payload, { qos: 1 }), expired]).catch(() => EXPIRED)
      if (outcome === EXPIRED) { failed += Math.ceil((req.perDevice - i) / req.window); return }
      latenciesMs.push(performance.now() - sent)
      lastAckAt = nowMs()
      acked++
    }
  }
  await sleep(Math.max(0, req.startAt - Date.now()))
  await Promise.all(clients.flatMap((d) => Array.from({ length: req.window }, (_, w) => lane(d, w))))
  return { type: 'published', acked, failed, lastAckAt, latenciesMs }
}

async function disconnectAll(): Promise<PublisherReply> {
  await Promise.all(clients.splice(0).map(({ client }) => client.endAsync(true)))
  return { type: 'disconnected' }
}

serveWorker<PublisherRequest, PublisherReply>(async (msg) => {
  if (msg.type === 'connect') return connectAll(msg.url, msg.deviceIds)
  if (msg.type === 'publish') return publishAll(msg)
  return disconnectAll()
})
