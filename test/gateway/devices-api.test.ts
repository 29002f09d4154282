/**
 * The device query routes (SPEC §4 "device list and device status", §6) against a running
 * gateway: devices registered through the admin API, one heartbeating over MQTT (which then
 * times out: 3 intervals of 1 s), one over HTTP `heartbeat_receive`, one anonymous MQTT client
 * the registry does not know, and one registered device never seen.
 */
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import type { DeviceState } from '../../processors/presence/presence.js'
import { keyFor, testConfig } from '../support/gateway.js'

const ADMIN = 'admin-key-from-the-environment'
const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
const iso = (ms: number): string => new Date(ms).toISOString()

/** The fields of an answer the assertions pick out; the others compare whole answers. */
interface Answer { devices: Array<{ device_id: string }>; next_cursor: string | null; from: string; to: string; error: unknown }

describe('/v1/devices', () => {
  let running: RunningGateway
  let read: string
  let writeKey: string
  let mqttAt: number
  let httpAt: number
  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_ADMIN_KEY: ADMIN }), { db: await openPglite() })
    read = await keyFor(running.gateway, 'read', null)
    writeKey = await keyFor(running.gateway, 'write')
    await admin('POST', '/v1/admin/devices', { device_id: 'dev-a', store_id: 's1', table_id: 'T1', heartbeat_interval_s: 1 })
    await admin('POST', '/v1/admin/devices', { device_id: 'dev-b', store_id: 's1', table_id: 'T2', heartbeat_interval_s: 60 })
    await admin('POST', '/v1/admin/devices', { device_id: 'dev-c', store_id: 's2' })
    await admin('POST', '/v1/admin/devices/dev-c/disable')
    // dev-a over MQTT: interval 1 s, so it is offline ~3 s later; anon-1 is not registered (anonymous clients admitted).
    for (const [id, interval] of [['dev-a', 1], ['anon-1', 60]] as const) {
      const client = await mqtt.connectAsync(running.mqttUrl, { clientId: id, reconnectPeriod: 0 })
      await client.publishAsync(`devices/${id}/heartbeat`, JSON.stringify({ store_id: 's1', online: 1, latency_ms: 40, battery_level: 80, signal_strength: -70, interval_s: interval }), { qos: 1 })
      await client.endAsync()
    }
    mqttAt = seen('dev-a').lastSeen
    // dev-b over HTTP, as the billiards plan's devices without MQTT post it.
    const res = await fetch(`${running.httpUrl}/api/track`, {
      method: 'POST', headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event_name: 'heartbeat_receive', device_id: 'dev-b', store_id: 's1', table_id: 'T2', online: 1, latency_ms: 30, battery_level: 90, signal_strength: -55, ts: Date.now() })
    })
    expect(res.status).toBe(200)
    await vi.waitFor(() => expect(running.gateway.services.presence.get('dev-b')).toBeDefined())
    httpAt = seen('dev-b').lastSeen
    await vi.waitFor(() => expect(seen('dev-a').online).toBe(false), { timeout: 6000, interval: 100 })
    // Transitions are stored after the fact: four online, one offline.
    await vi.waitFor(async () => expect((await running.gateway.services.db.query("SELECT 1 FROM events WHERE app_id = 'devices'")).rows).toHaveLength(4))
  }, 15_000)
  afterAll(async () => { await running?.stop() })

  const seen = (id: string): DeviceState => running.gateway.services.presence.get(id) as DeviceState
  async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(running.httpUrl + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
    })
    return res.json()
  }
  const get = async (path: string, key: string | null = read) => {
    const res = await fetch(running.httpUrl + path, { headers: key === null ? {} : { authorization: `Bearer ${key}` } })
    return { status: res.status, body: await res.json() as Answer }
  }
  const ids = async (query: string): Promise<string[]> => (await get(`/v1/devices?${query}`)).body.devices.map((d) => d.device_id)

  /** Each device as the list shows it, worked out from what the test did. */
  const row = {
    anon: () => ({
      device_id: 'anon-1', store_id: 's1', table_id: null, registered: false, enabled: null, state: 'online', reason: 'first_heartbeat',
      since: iso(seen('anon-1').since), last_seen: iso(seen('anon-1').lastSeen), interval_s: 60, deadline: iso(seen('anon-1').lastSeen + 180_000)
    }),
    a: () => ({
      device_id: 'dev-a', store_id: 's1', table_id: 'T1', registered: true, enabled: true, state: 'offline', reason: 'heartbeat_timeout',
      since: iso(mqttAt + 3000), last_seen: iso(mqttAt), interval_s: 1, deadline: null
    }),
    b: () => ({
      device_id: 'dev-b', store_id: 's1', table_id: 'T2', registered: true, enabled: true, state: 'online', reason: 'first_heartbeat',
      since: iso(httpAt), last_seen: iso(httpAt), interval_s: 60, deadline: iso(httpAt + 180_000)
    }),
    c: () => ({
      device_id: 'dev-c', store_id: 's2', table_id: null, registered: true, enabled: false, state: 'unknown', reason: null,
      since: null, last_seen: null, interval_s: 5, deadline: null
    })
  }

  it('lists registered devices and the unregistered ones presence knows, in id order, with state, reason and times', async () => {
    expect(await get('/v1/devices')).toEqual({ status: 200, body: { devices: [row.anon(), row.a(), row.b(), row.c()], next_cursor: null } })
  })

  it('filters by store and state', async () => {
    expect(await ids('store_id=s1')).toEqual(['anon-1', 'dev-a', 'dev-b'])
    expect(await ids('store_id=s2')).toEqual(['dev-c'])
    expect(await ids('state=online')).toEqual(['anon-1', 'dev-b'])
    expect(await ids('state=offline')).toEqual(['dev-a'])
    expect(await ids('state=unknown')).toEqual(['dev-c'])
    expect(await ids('store_id=s2&state=online')).toEqual([])
  })

  it('pages by device id with a cursor until next_cursor is null, filters included', async () => {
    const walk = async (query: string): Promise<string[][]> => {
      const pages: string[][] = []
      let cursor: string | null = null
      do {
        const { body } = await get(`/v1/devices?limit=1${query}${cursor === null ? '' : `&cursor=${cursor}`}`)
        pages.push(body.devices.map((d) => d.device_id))
        cursor = body.next_cursor
      } while (cursor !== null)
      return pages
    }
    expect(await walk('')).toEqual([['anon-1'], ['dev-a'], ['dev-b'], ['dev-c']])
    expect(await walk('&state=online')).toEqual([['anon-1'], ['dev-b']])
    expect((await get('/v1/devices?limit=3')).body.next_cursor).toBe('dev-b')
    expect(await ids('cursor=dev-a')).toEqual(['dev-b', 'dev-c'])
  })

  it('shows one device with its registry data, and answers 404 for an unknown one', async () => {
    const a = await get('/v1/devices/dev-a')
    expect(a).toEqual({ status: 200, body: { ...row.a(), registry: { heartbeat_interval_s: 1, created_at: ISO, updated_at: ISO, last_rotated_at: null } } })
    expect(await get('/v1/devices/anon-1')).toEqual({ status: 200, body: { ...row.anon(), registry: null } })
    expect(await get('/v1/devices/nope')).toEqual({ status: 404, body: { error: { code: 'PG_ERR_NO_SUCH_DEVICE', message: 'no device nope' } } })
    expect((await get('/v1/devices/nope/history')).status).toBe(404)
  })

  it('gives a device\'s history: its transitions with reasons and its raw heartbeats, oldest first', async () => {
    const { status, body } = await get('/v1/devices/dev-a/history')
    expect(status).toBe(200)
    expect(body).toEqual({
      device_id: 'dev-a', from: ISO, to: ISO, resolution: 'raw',
      transitions: [{ at: iso(mqttAt), state: 'online', reason: 'first_heartbeat' }, { at: iso(mqttAt + 3000), state: 'offline', reason: 'heartbeat_timeout' }],
      heartbeats: [{ received_at: iso(mqttAt), device_time: null, source: 'mqtt', online: true, store_id: 's1', table_id: null, latency_ms: 40, battery_level: 80, signal_strength: -70 }],
      truncated: { transitions: false, heartbeats: false }
    })
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(86_400_000)
    // A heartbeat posted over HTTP is an event of the sending app, and part of the device's history.
    expect((await get('/v1/devices/dev-b/history')).body).toMatchObject({
      transitions: [{ at: iso(httpAt), state: 'online', reason: 'first_heartbeat' }],
      heartbeats: [{ received_at: iso(httpAt), device_time: expect.any(String), source: 'http', online: true, store_id: 's1', table_id: 'T2', latency_ms: 30, battery_level: 90, signal_strength: -55 }]
    })
  })

  it('bounds the history to the newest rows of a range, and serves the minute rollups', async () => {
    const newest = await get('/v1/devices/dev-a/history?limit=1')
    expect(newest.body).toMatchObject({ transitions: [{ state: 'offline' }], truncated: { transitions: true, heartbeats: false } })
    const before = await get(`/v1/devices/dev-a/history?from=${mqttAt - 60_000}&to=${encodeURIComponent(iso(mqttAt))}`)
    expect(before.body).toMatchObject({ from: iso(mqttAt - 60_000), to: iso(mqttAt), transitions: [], heartbeats: [] })

    const minute = Math.floor(mqttAt / 60_000) * 60_000
    await running.gateway.services.db.query(
      `INSERT INTO heartbeat_minute (device_id, minute, store_id, count, latency_min, latency_avg, latency_max, battery_last, signal_last)
       VALUES ('dev-a', $1, 's1', 1, 40, 40, 40, 80, -70)`, [iso(minute)])
    const minutes = await get(`/v1/devices/dev-a/history?resolution=minute&from=${minute - 60_000}&to=${minute + 120_000}`)
    expect(minutes.body).toEqual({
      device_id: 'dev-a', from: iso(minute - 60_000), to: iso(minute + 120_000), resolution: 'minute',
      transitions: [{ at: iso(mqttAt), state: 'online', reason: 'first_heartbeat' }, { at: iso(mqttAt + 3000), state: 'offline', reason: 'heartbeat_timeout' }],
      heartbeats: [{ minute: iso(minute), count: 1, latency_min: 40, latency_avg: 40, latency_max: 40, battery_last: 80, signal_last: -70 }],
      truncated: { transitions: false, heartbeats: false }
    })
    // Minute rollups reach back further than raw heartbeats.
    expect((await get(`/v1/devices/dev-a/history?resolution=minute&from=${Date.now() - 30 * 86_400_000}`)).status).toBe(200)
  })

  it('answers 400 naming the bad parameter', async () => {
    const bad = async (path: string) => (await get(path)).body.error
    const request = (message: string, path: string) => ({ code: 'PG_ERR_REQUEST', message, path })
    expect(await bad('/v1/devices?state=asleep')).toEqual(request('The request is malformed: querystring/state must be equal to one of the allowed values: online, offline, unknown', '/state'))
    expect(await bad('/v1/devices?limit=0')).toEqual(request('The request is malformed: querystring/limit must be >= 1', '/limit'))
    expect(await bad('/v1/devices?colour=red')).toEqual(request('The request is malformed: querystring/colour is not a parameter of this route', '/colour'))
    expect(await bad('/v1/devices/dev-a/history?from=yesterday')).toEqual(request('from must be ISO 8601 with a zone, or epoch milliseconds', '/from'))
    expect(await bad('/v1/devices/dev-a/history?to=2026-01-01T00:00:00')).toEqual(request('to must be ISO 8601 with a zone, or epoch milliseconds', '/to'))
    expect(await bad('/v1/devices/dev-a/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'))
      .toEqual(request('from (2026-01-02T00:00:00.000Z) must be before to (2026-01-01T00:00:00.000Z)', '/from'))
    expect(await bad(`/v1/devices/dev-a/history?from=${Date.now() - 8 * 86_400_000}`))
      .toEqual(request(expect.stringMatching(/^raw heartbeats are kept 7 days \(PULSEGATE_HEARTBEAT_RETENTION_DAYS\): from must be after .+, or ask for resolution=minute$/), '/from'))
    expect(await bad('/v1/devices/dev-a/history?resolution=hourly')).toEqual(request('The request is malformed: querystring/resolution must be equal to one of the allowed values: raw, minute', '/resolution'))
    expect(await bad('/v1/devices/dev-a/history?limit=10001')).toEqual(request('The request is malformed: querystring/limit must be <= 10000', '/limit'))
  })

  it('needs a read key that sees the app devices: 401 without one, 403 for a write key; admin keys read too', async () => {
    expect(await get('/v1/devices', null)).toEqual({ status: 401, body: { error: { code: 'PG_ERR_UNAUTHENTICATED', message: 'this route needs a read key: Authorization: Bearer <key>' } } })
    expect((await get('/v1/devices/dev-a', 'pgr_unknown')).status).toBe(401)
    expect(await get('/v1/devices/dev-a/history', writeKey)).toEqual({ status: 403, body: { error: { code: 'PG_ERR_FORBIDDEN', message: 'a write key cannot call this route; it needs a read key' } } })
    expect(await ids('state=offline')).toEqual(['dev-a'])
    expect((await get('/v1/devices?state=offline', ADMIN)).body.devices).toEqual([row.a()])
    const devicesApp = await keyFor(running.gateway, 'read', 'devices')
    expect((await get('/v1/devices?state=offline', devicesApp)).body.devices).toEqual([row.a()])
    // A read key limited to another app sees no device, and cannot tell which exist.
    const otherApp = await keyFor(running.gateway, 'read', 'test-app')
    expect(await get('/v1/devices', otherApp)).toEqual({ status: 200, body: { devices: [], next_cursor: null } })
    const hidden = { error: { code: 'PG_ERR_NO_SUCH_DEVICE', message: 'no device dev-a for a read key limited to app test-app (device data belongs to the app devices)' } }
    expect(await get('/v1/devices/dev-a', otherApp)).toEqual({ status: 404, body: hidden })
    expect(await get('/v1/devices/dev-a/history', otherApp)).toEqual({ status: 404, body: hidden })
  })
})
