/**
 * One fleet process of the connections benchmark: its share of the devices, each its own
 * MQTT.js client (own socket, clientId = user name = device id), connected gradually and then
 * heartbeating on its own timer until disconnected. Forked by connections.ts; not run by hand.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import type { FleetDevice, FleetReply, FleetRequest } from './lib/connections-messages.js'
import { deviceId, heartbeatPayload, heartbeatTopic } from './lib/mqtt-messages.js'
import { latencyOf } from './lib/stats.js'
import { serveWorker } from './lib/worker-ipc.js'

type ConnectRequest = Extract<FleetRequest, { type: 'connect' }>

const JITTER = 0.1

const clients: MqttClient[] = []
const timers = new Set<NodeJS.Timeout>()
const counts = { sent: 0, acked: 0, failed: 0 }

/** Heartbeats on its own timer, each interval ±10 %, so the fleet's publishes spread evenly. */
function heartbeat(client: MqttClient, d: FleetDevice, req: ConnectRequest): void {
  const id = deviceId(d.n)
  const topic = heartbeatTopic(id)
  let i = 0
  const beat = (delayMs: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      counts.sent++
      client.publish(topic, heartbeatPayload(id, d.n, i++, req.intervalMs / 1000), { qos: req.qos }, (err) => {
        if (err === undefined || err === null) counts.acked++
        else counts.failed++
      })
      beat(req.intervalMs * (1 - JITTER + 2 * JITTER * Math.random()))
    }, delayMs)
    timers.add(timer)
  }
  beat(req.intervalMs * Math.random())
}

async function connectOne(d: FleetDevice, req: ConnectRequest): Promise<number> {
  const id = deviceId(d.n)
  const started = performance.now()
  const credentials = d.secret === undefined ? {} : { username: id, password: d.secret }
  const client = await mqtt.connectAsync(req.url, { clientId: id, ...credentials, clean: true, keepalive: 60, reconnectPeriod: 0, connectTimeout: 30_000 })
  // A socket error shows as a client no longer connected in the counts, and as failed publishes.
  client.on('error', () => {})
  clients.push(client)
  heartbeat(client, d, req)
  return performance.now() - started
}

async function connectAll(req: ConnectRequest): Promise<FleetReply> {
  const started = performance.now()
  const pending: Array<Promise<number | Error>> = []
  // Each CONNECT leaves at its slot whether or not earlier ones were answered: the rate is the
  // fleet's, not the broker's; a slow broker shows as connect latency.
  for (let i = 0; i < req.devices.length; i++) {
    const due = started + (i * 1000) / req.perSecond
    if (due - performance.now() >= 1) await sleep(due - performance.now())
    pending.push(connectOne(req.devices[i] as FleetDevice, req).catch((err: unknown) => err as Error))
  }
  const outcomes = await Promise.all(pending)
  const latencies = outcomes.filter((o): o is number => typeof o === 'number')
  const firstError = outcomes.find((o): o is Error => o instanceof Error)?.message
  return {
    type: 'connected', connected: latencies.length, failed: outcomes.length - latencies.length,
    ms: performance.now() - started, latency: latencyOf(latencies), ...(firstError === undefined ? {} : { firstError })
  }
}

async function disconnectAll(): Promise<FleetReply> {
  for (const timer of timers) clearTimeout(timer)
  timers.clear()
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  return { type: 'disconnected' }
}

serveWorker<FleetRequest, FleetReply>(async (msg) => {
  if (msg.type === 'connect') return connectAll(msg)
  if (msg.type === 'count') return { type: 'counts', connected: clients.filter((c) => c.connected).length, ...counts }
  return disconnectAll()
})
