/**
 * The mosquitto baseline's consumer: one process subscribed at QoS 1 to every device's
 * heartbeat topic, counting what mosquitto forwards, so the baseline is a broker that
 * delivers, not one that drops. Forked by mqtt-qos1.ts; not run by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import type { SubscriberReply, SubscriberRequest } from './lib/mqtt-messages.js'
import { serveWorker } from './lib/worker-ipc.js'

let client: MqttClient | undefined
let received = 0

async function connect(url: string, topic: string): Promise<SubscriberReply> {
  client = await mqtt.connectAsync(url, { clientId: 'bench-subscriber', clean: true, keepalive: 120, reconnectPeriod: 0 })
  client.on('message', () => { received++ })
  await client.subscribeAsync(topic, { qos: 1 })
  return { type: 'connected' }
}

async function awaitCount(expected: number, timeoutMs: number): Promise<SubscriberReply> {
  const deadline = Date.now() + timeoutMs
  while (received < expected && Date.now() < deadline) await sleep(20)
  const count = received
  received = 0
  return { type: 'received', count }
}

serveWorker<SubscriberRequest, SubscriberReply>(async (msg) => {
  if (msg.type === 'connect') return connect(msg.url, msg.topic)
  if (msg.type === 'await') return awaitCount(msg.expected, msg.timeoutMs)
  await client?.endAsync()
  return { type: 'disconnected' }
})
