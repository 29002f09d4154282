import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { openPglite } from '../../../processors/db/pglite.js'
import { fixtureDir } from '../../support/helpers.js'
import { startBroker } from './broker-harness.js'

const opts = (clientId: string, clean = true): IClientOptions => ({ clientId, clean, reconnectPeriod: 0 })
const shape = (p: IPublishPacket) => ({ topic: p.topic, payload: p.payload.toString(), qos: p.qos, retain: p.retain })

describe('an aedes broker on the database persistence, restarted', () => {
  const dir = fixtureDir('pulsegate-mqtt-restart-')
  afterAll(() => dir.remove())

  it('keeps retained messages, persistent subscriptions and queued QoS 1 messages', async () => {
    const first = await startBroker(dir.dir)
    const console1 = await mqtt.connectAsync(first.url, opts('console-1', false))
    await console1.subscribeAsync('devices/+/commands', { qos: 1 })
    await console1.endAsync()
    const tool = await mqtt.connectAsync(first.url, opts('tool'))
    // aedes routes a QoS 1 message after its PUBACK; stop() lets that routing finish (destroy drains).
    await tool.publishAsync('devices/d1/status', 'online', { qos: 1, retain: true })
    await tool.publishAsync('devices/d1/commands', 'reboot', { qos: 1 })
    await tool.endAsync()
    await first.stop()

    const second = await startBroker(dir.dir)
    try {
      // Routed by the subscription index reloaded from the table: console-1 is still offline.
      const tool2 = await mqtt.connectAsync(second.url, opts('tool'))
      await tool2.publishAsync('devices/d1/commands', 'calibrate', { qos: 1 })
      await tool2.endAsync()

      const back = mqtt.connect(second.url, opts('console-1', false))
      const messages: IPublishPacket[] = []
      const both = new Promise<void>((resolve) => back.on('message', (_t, _p, packet) => { if (messages.push(packet) === 2) resolve() }))
      const connack = await new Promise<IConnackPacket>((resolve) => back.once('connect', resolve))
      expect(connack.sessionPresent).toBe(true)
      await both
      expect(messages.map(shape)).toEqual([
        { topic: 'devices/d1/commands', payload: 'reboot', qos: 1, retain: false },
        { topic: 'devices/d1/commands', payload: 'calibrate', qos: 1, retain: false }
      ])
      await back.endAsync()

      const viewer = await mqtt.connectAsync(second.url, opts('viewer'))
      const retained = new Promise<IPublishPacket>((resolve) => viewer.once('message', (_t, _p, packet) => resolve(packet)))
      await viewer.subscribeAsync('devices/+/status', { qos: 1 })
      expect(shape(await retained)).toEqual({ topic: 'devices/d1/status', payload: 'online', qos: 1, retain: true })
      await viewer.endAsync()
    } finally {
      await second.stop()
    }
    // Acknowledged packets left the queue; the session and the retained message stay.
    expect(await tables(dir.dir)).toEqual({
      outgoing: [],
      subscriptions: [{ client_id: 'console-1', topic: 'devices/+/commands', qos: 1 }],
      retained: [{ topic: 'devices/d1/status' }]
    })
  })
})

async function tables(dataDir: string): Promise<Record<string, unknown[]>> {
  const db = await openPglite(dataDir)
  try {
    const rows = async (sql: string) => (await db.query(sql)).rows
    return {
      outgoing: await rows('SELECT client_id FROM mqtt_outgoing'),
      subscriptions: await rows('SELECT client_id, topic, qos FROM mqtt_subscriptions'),
      retained: await rows('SELECT topic FROM mqtt_retained')
    }
  } finally {
    await db.close()
  }
}
