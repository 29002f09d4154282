/**
 * One MQTT subscriber process. For the mosquitto baselines: subscribed to every device's
 * heartbeat topic, counting what mosquitto forwards, so the baseline is a broker that
 * delivers, not one that drops. For offline detection: subscribed to the gateway's
 * `devices/+/status`, noting when each device's `offline` arrives, as a user would see it.
 * Forked by the MQTT benchmarks; not run by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import type { SubscriberReply, SubscriberRequest } from './lib/mqtt-messages.js'
import { serveWorker } from './lib/worker-ipc.js'

let client: MqttClient | undefined
let received = 0
let lastAt = 0
const arrivals: Record<string, number> = {}
const nowMs = (): number => performance.timeOrigin + performance.now()

async function connect(req: Extract<SubscriberRequest, { type: 'connect' }>): Promise<SubscriberReply> {
  const credentials = req.username === undefined ? {} : { username: req.username, password: req.password }
  client = await mqtt.connectAsync(req.url, { clientId: req.username ?? 'bench-subscriber', ...credentials, clean: true, keepalive: 120, reconnectPeriod: 0 })
  client.on('message', (topic, payload) => {
    received++
    lastAt = nowMs()
    // Subscribed before any status exists: nothing retained from earlier can be mistaken for a transition.
    if (req.watch !== undefined && arrivals[topic] === undefined && payload.toString() === req.watch) arrivals[topic] = lastAt
  })
  await client.subscribeAsync(req.topic, { qos: req.qos })
  return { type: 'connected' }
}

/** Until `expected` arrived, nothing arrived for `idleMs` (a QoS 0 message lost will never come), or `timeoutMs`. */
async function awaitCount(expected: number, timeoutMs: number, idleMs = Infinity): Promise<SubscriberReply> {
  const started = nowMs()
  const deadline = Date.now() + timeoutMs
  while (received < expected && Date.now() < deadline && nowMs() - Math.max(started, lastAt) < idleMs) await sleep(20)
  const reply = { type: 'received', count: received, lastAt } as const
  received = 0
  return reply
}

serveWorker<SubscriberRequest, SubscriberReply>(async (msg) => {
  if (msg.type === 'connect') return connect(msg)
  if (msg.type === 'await') return awaitCount(msg.expected, msg.timeoutMs, msg.idleMs)
  if (msg.type === 'arrivals') return { type: 'arrivals', at: arrivals }
  await client?.endAsync()
  return { type: 'disconnected' }
})
