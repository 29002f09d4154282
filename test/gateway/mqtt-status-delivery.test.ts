import mqtt, { type MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { startGateway } from '../../gateway/listen.js'
import { freshPostgres } from '../support/backends.js'
import { testConfig } from '../support/gateway.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * aedes drops a packet for a client once it has delivered one with a higher broker counter
 * (lib/client.js `dedupe`), which assumes packets reach subscribers in publish order. On
 * PostgreSQL, retained statuses are stored over several connections and finish out of order:
 * before the fix, a third of them never reached a subscriber.
 */
describe('retained statuses published by the gateway on PostgreSQL', () => {
  it('reach a subscriber for every device, however the store orders their commits', async () => {
    const running = await startGateway(testConfig({ PULSEGATE_DATABASE_POOL_SIZE: '4' }), { db: await freshPostgres(4) })
    const clients: MqttClient[] = []
    try {
      const watcher = await mqtt.connectAsync(running.mqttUrl, { clientId: 'watcher', reconnectPeriod: 0 })
      clients.push(watcher)
      const online = new Set<string>()
      watcher.on('message', (topic, payload) => { if (payload.toString() === 'online') online.add(topic.split('/')[1] as string) })
      await watcher.subscribeAsync('devices/+/status', { qos: 1 })
      const devices = Array.from({ length: 300 }, (_, i) => `st-${String(i).padStart(3, '0')}`)
      for (let i = 0; i < devices.length; i += 50) {
        const batch = await Promise.all(devices.slice(i, i + 50).map((id) => mqtt.connectAsync(running.mqttUrl, { clientId: id, reconnectPeriod: 0 })))
        clients.push(...batch)
      }
      await Promise.all(clients.slice(1).map((c, i) => c.publishAsync(`devices/${devices[i]}/heartbeat`, JSON.stringify({ store_id: 's1', interval_s: 60 }), { qos: 0 })))
      for (let waited = 0; waited < 10_000 && online.size < devices.length; waited += 100) await sleep(100)
      expect(online.size).toBe(devices.length)
    } finally {
      for (const c of clients) c.end(true)
      await running.stop()
    }
  })
})
