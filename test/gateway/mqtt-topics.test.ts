import { connect as tcpConnect } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('device topics on the embedded broker: events, status, Will and keepalive', () => {
  let running: RunningGateway
  const clients: MqttClient[] = []
  const connect = async (clientId: string, opts: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(running.mqttUrl, { clientId, reconnectPeriod: 0, ...opts })
    clients.push(c)
    return c
  }
  beforeAll(async () => { running = await startGateway(testConfig({ PULSEGATE_HEARTBEAT_INTERVAL_S: '30' }), { db: await openPglite() }) })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await running.stop()
  })
  const db = () => running.gateway.services.db
  const presence = () => running.gateway.services.presence

  it('stores a device event once its PUBACK is sent, under the topic device, and a retry once', async () => {
    const dev = await connect('tc-1')
    const alarm = { event_name: 'alarm_raise', event_time: new Date().toISOString(), properties: { alarm_id: 'a-1', level: 'critical', message: 'coin jam' } }
    await dev.publishAsync('devices/tc-1/events', JSON.stringify(alarm), { qos: 1 })
    const { rows } = await db().query("SELECT app_id, event_name, device_id, platform, source, properties FROM events WHERE event_name = 'alarm_raise'")
    expect(rows).toEqual([{ app_id: 'devices', event_name: 'alarm_raise', device_id: 'tc-1', platform: 'device', source: 'mqtt', properties: { alarm_id: 'a-1', level: 'critical', message: 'coin jam' } }])
    await dev.publishAsync('devices/tc-1/events', JSON.stringify(alarm), { qos: 1 })
    expect((await db().query("SELECT 1 FROM events WHERE event_name = 'alarm_raise'")).rows).toHaveLength(1)
  })

  it('quarantines an event naming another device and a malformed payload, keeps the connection, and counts both', async () => {
    const dev = await connect('tc-2')
    await dev.publishAsync('devices/tc-2/events', JSON.stringify({ event_name: 'alarm_raise', event_time: Date.now(), device_id: 'tc-9', properties: { alarm_id: 'x' } }), { qos: 1 })
    await dev.publishAsync('devices/tc-2/events', '{"event_name": ', { qos: 1 })
    expect(dev.connected).toBe(true)
    const { rows } = await db().query("SELECT app_id, source, code FROM quarantine WHERE app_id = 'devices' ORDER BY id")
    expect(rows).toEqual([{ app_id: 'devices', source: 'mqtt', code: 'device_mismatch' }, { app_id: 'devices', source: 'mqtt', code: 'malformed_json' }])
    const m = parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text())
    expect(sumOf(m, 'pulsegate_events_rejected_total', 'source="mqtt"')).toBe(2)
    expect(m.get('pulsegate_mqtt_messages_total{kind="events"}')).toBe(4)
  })

  it('publishes the presence it works out as the retained status, and takes "offline" from the device itself', async () => {
    const dev = await connect('tc-3')
    await dev.publishAsync('devices/tc-3/heartbeat', JSON.stringify({ store_id: 's1', latency_ms: 20 }), { qos: 1 })
    const watcher = await connect('watcher-3')
    const seen = new Promise<string>((resolve) => watcher.on('message', (_t, p, packet) => { if (packet.retain) resolve(p.toString()) }))
    await watcher.subscribeAsync('devices/tc-3/status', { qos: 1 })
    expect(await seen).toBe('online')
    await dev.publishAsync('devices/tc-3/status', 'offline', { qos: 1, retain: true })
    expect(presence().get('tc-3')).toMatchObject({ online: false, reason: 'status' })
  })

  it('takes a device with a Will offline at once when its connection dies (reason will)', async () => {
    const dev = await connect('tc-4', { will: { topic: 'devices/tc-4/status', payload: Buffer.from('offline'), qos: 1, retain: true } })
    await dev.publishAsync('devices/tc-4/heartbeat', JSON.stringify({ store_id: 's1' }), { qos: 1 })
    expect(presence().get('tc-4')?.online).toBe(true)
    const cut = Date.now()
    dev.stream.destroy()
    for (let i = 0; i < 50 && presence().get('tc-4')?.online !== false; i++) await sleep(20)
    expect(presence().get('tc-4')).toMatchObject({ online: false, reason: 'will' })
    expect((presence().get('tc-4')?.since ?? 0) - cut).toBeLessThan(1000)
    await sleep(100)
    const { rows } = await db().query("SELECT properties FROM events WHERE event_name = 'device_offline' AND device_id = 'tc-4'")
    expect(rows).toEqual([{ properties: { device_id: 'tc-4', reason: 'will' } }])
  })

  it('takes a silent device with a Will offline when its keepalive runs out (reason keepalive)', async () => {
    const dev = await connect('tc-5')
    await dev.publishAsync('devices/tc-5/heartbeat', JSON.stringify({ store_id: 's1' }), { qos: 1 })
    dev.end(true)
    // A raw client: CONNECT with a 1 s keepalive and a Will, then silence (no PINGREQ).
    const port = Number(new URL(running.mqttUrl).port)
    const socket = tcpConnect(port, '127.0.0.1')
    const started = Date.now()
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'tc-5', keepalive: 1, will: { topic: 'devices/tc-5/status', payload: Buffer.from('offline'), qos: 1, retain: true } }))
    await sleep(200)
    expect(presence().get('tc-5')?.online).toBe(true)
    for (let i = 0; i < 150 && presence().get('tc-5')?.online !== false; i++) await sleep(20)
    socket.destroy()
    expect(presence().get('tc-5')).toMatchObject({ online: false, reason: 'keepalive' })
    // MQTT 3.1.1 §3.1.2.10: the server disconnects after 1.5 × keepalive without a packet.
    expect((presence().get('tc-5')?.since ?? 0) - started).toBeLessThan(2500)
  })
})

describe('presence outside opening hours', () => {
  it('takes a silent device offline as closed, not heartbeat_timeout, when its store is closed', async () => {
    const running = await startGateway(testConfig(), { db: await openPglite() })
    try {
      const admin = await keyFor(running.gateway, 'admin')
      // Open one minute a day, twelve hours from now: closed at the device's deadline.
      const opening = new Date(Date.now() + 12 * 3600_000)
      const rrule = `FREQ=DAILY;BYHOUR=${opening.getUTCHours()};BYMINUTE=${opening.getUTCMinutes()};BYSECOND=0`
      const put = await fetch(`${running.httpUrl}/v1/admin/stores/night-hall`, {
        method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ time_zone: 'UTC', opening_hours: [{ rrule, duration: 'PT1M', tzid: 'UTC' }] })
      })
      expect(put.status).toBe(201)
      const dev = await mqtt.connectAsync(running.mqttUrl, { clientId: 'nh-1', reconnectPeriod: 0 })
      await dev.publishAsync('devices/nh-1/heartbeat', JSON.stringify({ store_id: 'night-hall', interval_s: 1 }), { qos: 1 })
      await dev.endAsync()
      const deadline = running.gateway.services.presence.get('nh-1')?.deadline ?? 0
      await sleep(deadline - Date.now() + 500)
      expect(running.gateway.services.presence.get('nh-1')).toMatchObject({ online: false, reason: 'closed', since: deadline })
      await sleep(100)
      const { rows } = await running.gateway.services.db.query("SELECT properties FROM events WHERE event_name = 'device_offline' AND device_id = 'nh-1'")
      expect(rows).toEqual([{ properties: { device_id: 'nh-1', reason: 'closed' } }])
      // The retained status follows: a watcher subscribing now reads `offline`.
      const watcher = await mqtt.connectAsync(running.mqttUrl, { clientId: 'nh-watcher', reconnectPeriod: 0 })
      const retained = new Promise<string>((resolve) => watcher.on('message', (_t, p, packet) => { if (packet.retain) resolve(p.toString()) }))
      await watcher.subscribeAsync('devices/nh-1/status', { qos: 1 })
      expect(await retained).toBe('offline')
      await watcher.endAsync()
    } finally {
      await running.stop()
    }
  })
})
