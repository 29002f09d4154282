/**
 * External broker mode (`PULSEGATE_MQTT_URL`, issue 4, item 8) against a real mosquitto of this
 * file's own, with persistence on, so it can be stopped and started again on the same port
 * mid-test and keep the gateway's session and the QoS 1 messages queued for it. A second
 * broker, aedes, speaks only MQTT 3.1.1 and refuses MQTT 5: the gateway falls back to it.
 *
 * Each case uses its own shared-subscription group: mosquitto hands a share of each message to
 * every session in a group, connected or not, and earlier cases' sessions stay on the broker.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Aedes } from 'aedes'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildGateway } from '../../gateway/build.js'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { connectExternalBroker } from '../../gateway/mqtt/external.js'
import type { Db } from '../../processors/db/db.js'
import { openPglite } from '../../processors/db/pglite.js'
import { parseMetrics, sumOf, testConfig } from '../support/gateway.js'
import { freePort, startMosquitto, type MosquittoServer } from '../support/services.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const heartbeat = (deviceId: string, latencyMs: number) => JSON.stringify({ device_id: deviceId, table_id: 't1', store_id: 's1', online: 1, latency_ms: latencyMs, battery_level: 80, signal_strength: -60 })
const alarm = (id: string) => JSON.stringify({ event_id: id, event_name: 'alarm_raise', event_time: new Date().toISOString(), properties: { alarm_id: id, level: 'critical' } })

const running: RunningGateway[] = []
const clients: MqttClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true)
  await Promise.all(running.splice(0).map((g) => g.stop()))
})

async function gateway(env: Record<string, string>, db?: Db): Promise<RunningGateway> {
  const gw = await startGateway(testConfig(env), { db: db ?? await openPglite() })
  running.push(gw)
  return gw
}

async function device(url: string, clientId: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 200, ...opts })
  clients.push(c)
  return c
}

async function metrics(gw: RunningGateway): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`${gw.httpUrl}/metrics`)).text())
}

/** How many times each event of a device is stored, by event_id. */
async function storedEvents(db: Db, deviceId: string): Promise<Map<string, number>> {
  const { rows } = await db.query<{ event_id: string; n: number }>(
    "SELECT event_id, count(*)::int AS n FROM events WHERE device_id = $1 AND event_name = 'alarm_raise' GROUP BY event_id", [deviceId])
  return new Map(rows.map((r) => [r.event_id, r.n]))
}

const ids = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`)

describe('external broker mode against mosquitto', () => {
  let broker: MosquittoServer
  let persistenceDir: string
  beforeAll(async () => {
    persistenceDir = await mkdtemp(join(tmpdir(), 'pulsegate-external-mosquitto-'))
    broker = await startMosquitto({ persistenceDir })
  })
  afterAll(async () => {
    await broker.stop()
    await rm(persistenceDir, { recursive: true, force: true })
  })
  const env = (name: string): Record<string, string> => ({ PULSEGATE_MQTT_URL: broker.url, PULSEGATE_MQTT_CLIENT_ID: `gw-${name}`, PULSEGATE_MQTT_SHARED_GROUP: name })

  it('stores what a device publishes, reports the session and the last message, and ignores its own status coming back', async () => {
    const gw = await gateway(env('basic'))
    expect(gw.mqttUrl).toBe(broker.url)
    const watcher = await device(broker.url, 'watcher-basic', { protocolVersion: 5, clean: true })
    const statuses: Array<{ payload: string; properties: unknown }> = []
    watcher.on('message', (_t, payload, packet) => statuses.push({ payload: payload.toString(), properties: packet.properties?.userProperties }))
    await watcher.subscribeAsync('devices/d-basic/status', { qos: 1 })
    const dev = await device(broker.url, 'd-basic')
    await dev.publishAsync('devices/d-basic/heartbeat', heartbeat('d-basic', 45), { qos: 1 })
    await dev.publishAsync('devices/d-basic/events', alarm('basic-1'), { qos: 1 })

    const svc = gw.gateway.services
    await vi.waitFor(async () => expect(await storedEvents(svc.db, 'd-basic')).toEqual(new Map([['basic-1', 1]])))
    const { rows } = await svc.db.query('SELECT device_id, store_id, table_id, online, latency_ms, battery_level, signal_strength, source FROM heartbeats')
    expect(rows).toEqual([{ device_id: 'd-basic', store_id: 's1', table_id: 't1', online: 1, latency_ms: 45, battery_level: 80, signal_strength: -60, source: 'mqtt' }])
    const seen = svc.presence.get('d-basic')
    expect(seen).toMatchObject({ online: true, reason: 'first_heartbeat', storeId: 's1' })

    // The gateway publishes the device's retained status, marked as its own, and receives it back.
    await vi.waitFor(() => expect(statuses).toEqual([{ payload: 'online', properties: { origin: 'pulsegate', reason: 'first_heartbeat' } }]))
    await vi.waitFor(async () => expect((await metrics(gw)).get('pulsegate_mqtt_messages_total{kind="status"}')).toBe(1))
    // Applied, that echo would have counted as a sign of life and moved the deadline.
    expect(svc.presence.get('d-basic')).toEqual(seen)

    const health = await (await fetch(`${gw.httpUrl}/health/mqtt`)).json() as { last_message_age_s: number }
    expect(health).toEqual({ mode: 'external', connected: true, last_message_age_s: expect.any(Number) })
    expect(health.last_message_age_s).toBeLessThanOrEqual(2)
    expect(await (await fetch(`${gw.httpUrl}/health`)).json()).toMatchObject({ status: 'ok', mqtt: { mode: 'external', connected: true } })
    const m = await metrics(gw)
    expect(m.get('pulsegate_mqtt_external_connected')).toBe(1)
    expect(Date.now() / 1000 - (m.get('pulsegate_mqtt_external_last_message_timestamp_seconds') ?? 0)).toBeLessThan(5)
    expect(m.get('pulsegate_mqtt_messages_total{kind="heartbeat"}')).toBe(1)
    expect(m.get('pulsegate_mqtt_messages_total{kind="events"}')).toBe(1)

    // A status the device sends itself is applied, and not published again (no loop).
    await dev.publishAsync('devices/d-basic/status', 'offline', { qos: 1, retain: true })
    await vi.waitFor(() => expect(svc.presence.get('d-basic')).toMatchObject({ online: false, reason: 'status' }))
    await sleep(200)
    expect(statuses.map((s) => s.payload)).toEqual(['online', 'offline'])
  })

  it('loses nothing and stores nothing twice when the broker restarts in the middle of a stream', async () => {
    // Plain subscriptions: mosquitto 2.0 persists the session but not its shared subscriptions.
    const gw = await gateway({ ...env('restart'), PULSEGATE_MQTT_SHARED_GROUP: 'none' })
    const db = gw.gateway.services.db
    const dev = await device(broker.url, 'd-restart')
    const publishAll = (from: number, to: number): Array<Promise<unknown>> => ids('restart', from, to).flatMap((id, i) => [
      dev.publishAsync('devices/d-restart/events', alarm(id), { qos: 1 }),
      dev.publishAsync('devices/d-restart/heartbeat', heartbeat('d-restart', from + i), { qos: 1 })
    ])
    await Promise.all(publishAll(0, 20))

    await broker.stop()
    await vi.waitFor(async () => expect(await (await fetch(`${gw.httpUrl}/health/mqtt`)).json()).toMatchObject({ connected: false }))
    const health = await fetch(`${gw.httpUrl}/health/mqtt`)
    expect(health.status).toBe(503)
    expect((await fetch(`${gw.httpUrl}/health`)).status).toBe(200)
    // Published while the broker is down: the device client keeps them and sends them once it is back.
    const whileDown = publishAll(20, 40)
    broker = await startMosquitto({ port: broker.port, persistenceDir })
    await Promise.all(whileDown)
    await Promise.all(publishAll(40, 60))

    await vi.waitFor(async () => expect((await storedEvents(db, 'd-restart')).size).toBe(60), { timeout: 15_000, interval: 200 })
    expect(await storedEvents(db, 'd-restart')).toEqual(new Map(ids('restart', 0, 60).map((id) => [id, 1])))
    // Heartbeats have no id to deduplicate on: each is stored at least once.
    const { rows } = await db.query<{ latency_ms: number }>("SELECT DISTINCT latency_ms FROM heartbeats WHERE device_id = 'd-restart' ORDER BY latency_ms")
    expect(rows.map((r) => r.latency_ms)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    const m = await metrics(gw)
    expect(m.get('pulsegate_mqtt_external_connected')).toBe(1)
    expect(m.get('pulsegate_mqtt_external_reconnects_total')).toBeGreaterThanOrEqual(1)
  })

  it('subscribes again by itself after a broker restart that lost its shared subscription', async () => {
    const gw = await gateway(env('reshare'))
    const db = gw.gateway.services.db
    const dev = await device(broker.url, 'd-reshare')
    await dev.publishAsync('devices/d-reshare/events', alarm('reshare-0'), { qos: 1 })
    await vi.waitFor(async () => expect((await storedEvents(db, 'd-reshare')).size).toBe(1))

    await broker.stop()
    broker = await startMosquitto({ port: broker.port, persistenceDir })
    // mosquitto answers "session present" without the shared subscription: only subscribing again brings messages.
    await vi.waitFor(async () => expect((await metrics(gw)).get('pulsegate_mqtt_external_reconnects_total')).toBe(1), { timeout: 10_000 })
    await sleep(300)
    for (const id of ids('reshare', 1, 11)) await dev.publishAsync('devices/d-reshare/events', alarm(id), { qos: 1 })
    await vi.waitFor(async () => expect(await storedEvents(db, 'd-reshare')).toEqual(new Map(ids('reshare', 0, 11).map((id) => [id, 1]))))
  })

  it('receives, after its restart, what the broker queued in its session while the gateway was stopped', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulsegate-external-gw-'))
    const start = async () => {
      const gw = await startGateway(testConfig({ ...env('away'), PULSEGATE_DATA_DIR: dataDir }))
      running.push(gw)
      return gw
    }
    let gw = await start()
    const dev = await device(broker.url, 'd-away')
    for (const id of ids('away', 0, 5)) await dev.publishAsync('devices/d-away/events', alarm(id), { qos: 1 })
    await vi.waitFor(async () => expect((await storedEvents(gw.gateway.services.db, 'd-away')).size).toBe(5))

    await gw.stop()
    running.splice(running.indexOf(gw), 1)
    for (const id of ids('away', 5, 15)) await dev.publishAsync('devices/d-away/events', alarm(id), { qos: 1 })
    gw = await start()
    await vi.waitFor(async () => expect((await storedEvents(gw.gateway.services.db, 'd-away')).size).toBe(15), { timeout: 10_000 })
    expect(await storedEvents(gw.gateway.services.db, 'd-away')).toEqual(new Map(ids('away', 0, 15).map((id) => [id, 1])))
    await gw.stop()
    running.splice(running.indexOf(gw), 1)
    await rm(dataDir, { recursive: true, force: true })
  })

  it('withholds the PUBACK of a message whose commit failed, and stores it once the store is back', async () => {
    const store = breakable(await openPglite())
    const gw = await gateway(env('broken'), store.db)
    const dev = await device(broker.url, 'd-broken')
    await dev.publishAsync('devices/d-broken/events', alarm('broken-0'), { qos: 1 })
    await vi.waitFor(async () => expect((await storedEvents(store.db, 'd-broken')).size).toBe(1))

    store.broken = true
    await dev.publishAsync('devices/d-broken/events', alarm('broken-1'), { qos: 1 })
    // Not acknowledged, so the broker keeps it; the gateway reconnects and it comes again, and fails again.
    await vi.waitFor(async () => expect(sumOf(await metrics(gw), 'pulsegate_mqtt_external_unacknowledged_total', 'reason="not_committed"')).toBeGreaterThanOrEqual(2), { timeout: 10_000 })
    expect(await storedEvents(store.db, 'd-broken')).toEqual(new Map([['broken-0', 1]]))

    store.broken = false
    await vi.waitFor(async () => expect(await storedEvents(store.db, 'd-broken')).toEqual(new Map([['broken-0', 1], ['broken-1', 1]])), { timeout: 10_000 })
    expect((await metrics(gw)).get('pulsegate_mqtt_external_reconnects_total')).toBeGreaterThanOrEqual(2)
  })

  it('splits the messages between two gateways in one shared-subscription group, storing each once', async () => {
    const pair = { ...env('pair') }
    const first = await gateway({ ...pair, PULSEGATE_MQTT_CLIENT_ID: 'gw-pair-1' })
    const second = await gateway({ ...pair, PULSEGATE_MQTT_CLIENT_ID: 'gw-pair-2' })
    const dev = await device(broker.url, 'd-pair')
    const all = ids('pair', 0, 40)
    for (const id of all) await dev.publishAsync('devices/d-pair/events', alarm(id), { qos: 1 })

    const stored = async () => [await storedEvents(first.gateway.services.db, 'd-pair'), await storedEvents(second.gateway.services.db, 'd-pair')]
    await vi.waitFor(async () => expect((await stored()).reduce((n, s) => n + s.size, 0)).toBe(40))
    const [a, b] = await stored() as [Map<string, number>, Map<string, number>]
    expect(a.size).toBeGreaterThan(0)
    expect(b.size).toBeGreaterThan(0)
    expect([...a.keys()].filter((id) => b.has(id))).toEqual([])
    expect([...a.keys(), ...b.keys()].sort()).toEqual([...all].sort())
  })
})

describe('external broker mode when the broker cannot be reached', () => {
  it('stops the start with PG_ERR_CONFIG_INVALID, naming the setting and the broker without its password', async () => {
    const port = await freePort()
    const config = testConfig({ PULSEGATE_MQTT_URL: `mqtt://gw:secret@127.0.0.1:${port}` })
    const gw = await buildGateway(config, { db: await openPglite() })
    try {
      const failed = await connectExternalBroker(gw.services, config).catch((err: unknown) => err)
      expect(failed).toMatchObject({ code: 'PG_ERR_CONFIG_INVALID', message: `Invalid configuration: PULSEGATE_MQTT_URL: mqtt://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}` })
    } finally {
      await gw.close()
    }
  })

  it('stops promptly when the broker went away while it ran', async () => {
    const persistenceDir = await mkdtemp(join(tmpdir(), 'pulsegate-external-gone-'))
    const broker = await startMosquitto({ persistenceDir })
    const gw = await startGateway(testConfig({ PULSEGATE_MQTT_URL: broker.url, PULSEGATE_MQTT_CLIENT_ID: 'gw-gone' }), { db: await openPglite() })
    await broker.stop()
    await rm(persistenceDir, { recursive: true, force: true })
    await vi.waitFor(async () => expect((await fetch(`${gw.httpUrl}/health/mqtt`)).status).toBe(503))
    const started = Date.now()
    await gw.stop()
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('external broker mode against a broker that refuses MQTT 5 (aedes)', () => {
  let aedes: Aedes
  let server: Server
  let url: string
  const subscribed: Array<{ clientId: string; topic: string }> = []
  beforeAll(async () => {
    aedes = await Aedes.createBroker()
    aedes.on('subscribe', (subs, client) => { for (const s of subs) subscribed.push({ clientId: client.id, topic: s.topic }) })
    server = createServer(aedes.handle)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
  })

  it('falls back to MQTT 3.1.1 with plain subscriptions, skips retained replays and ignores its own status coming back', async () => {
    const dev = await device(url, 'd-v3')
    // Retained before the gateway subscribes: replayed to it as stored state, not news.
    await dev.publishAsync('devices/d-stale/status', 'online', { qos: 1, retain: true })
    const gw = await gateway({ PULSEGATE_MQTT_URL: url, PULSEGATE_MQTT_CLIENT_ID: 'gw-v3' })
    expect(subscribed.filter((s) => s.clientId === 'gw-v3').map((s) => s.topic)).toEqual(['devices/+/heartbeat', 'devices/+/events', 'devices/+/status'])
    const svc = gw.gateway.services

    await dev.publishAsync('devices/d-v3/heartbeat', heartbeat('d-v3', 30), { qos: 1 })
    await vi.waitFor(() => expect(svc.presence.get('d-v3')).toMatchObject({ online: true, reason: 'first_heartbeat' }))
    const seen = svc.presence.get('d-v3')
    // Its `online` (and the stale replay) came back through the subscription and changed nothing.
    await vi.waitFor(async () => expect((await metrics(gw)).get('pulsegate_mqtt_messages_total{kind="status"}')).toBe(2))
    expect(svc.presence.get('d-v3')).toEqual(seen)
    expect(svc.presence.get('d-stale')).toBeUndefined()

    await dev.publishAsync('devices/d-v3/status', 'offline', { qos: 1 })
    await vi.waitFor(() => expect(svc.presence.get('d-v3')).toMatchObject({ online: false, reason: 'status' }))
    await dev.publishAsync('devices/d-v3/events', alarm('v3-1'), { qos: 1 })
    await vi.waitFor(async () => expect(await storedEvents(svc.db, 'd-v3')).toEqual(new Map([['v3-1', 1]])))
  })
})

/** A store whose commits fail while `broken` is set, as a database that went away would. */
function breakable(db: Db): { db: Db; broken: boolean } {
  const state: { db: Db; broken: boolean } = {
    broken: false,
    db: {
      kind: db.kind,
      maxConcurrency: db.maxConcurrency,
      query: (sql, params) => db.query(sql, params),
      transaction: (fn) => (state.broken ? Promise.reject(new Error('connection refused (test)')) : db.transaction(fn)),
      exec: (sql) => db.exec(sql),
      close: () => db.close()
    } as Db
  }
  return state
}
