/**
 * The compatibility routes (SPEC §4) with the seeds' own example bodies, sent the way the seeds'
 * client code sends them, through the whole gateway into the store:
 * - seed 001 (billiards) `POST /api/track`, `Content-Type: application/json` (§4.2); its devices
 *   post `heartbeat_receive` to the same route (§4.1);
 * - seed 000 (escort) `Taro.request({ url: apiUrl + '/tracking/events/batch', method: 'POST',
 *   data: { events }, header: { 'Content-Type': 'application/json' } })` (§5.1.1 flush, lines
 *   432-437): no header for a key, so the key rides in the URL; `POST /tracking/events` takes
 *   one TrackingEvent (§5.2.2);
 * - seed 002 (statistics) `fetch('/api/report', { method: 'POST', body: JSON.stringify(data) })`
 *   (§8.1.1): a string body without headers goes out as `text/plain;charset=UTF-8`;
 *   `fetch('/api/report/batch', { headers: { 'Content-Type': 'application/json',
 *   'Content-Encoding': 'gzip' }, body: JSON.stringify({ events }) })` (§11.2.1): labelled gzip,
 *   sent plain.
 * The gateway clock (Date only) is pinned near each seed's example times, so received_at, occurred_at
 * and flags are exact, and the default retention keeps them.
 */
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { derivedId } from '../../processors/pipeline/identify.js'
import { keyFor, testConfig } from '../support/gateway.js'
import {
  BILLING_FROZEN, CLICK_PROPS, COMMON, DEVICE_ID, EVENT_ID, FULL_EVENT, HEARTBEAT, PAGE_VIEW_PROPS, PAYMENT_SUCCESS, QR_SCAN,
  REPORT_MEMBER_PURCHASE, REPORT_PAGE_VIEW, SDK_QR_SCAN, SESSION_ID, SESSION_START_PROPS, TRACK_BODY, sdkEvent
} from './shapes/seed-payloads.js'

/** A minute after seed 001's example event_time; 8.5 hours after seed 002's "2024-01-15 10:00:00" (UTC+8). */
const JAN = Date.parse('2024-01-15T10:31:00.000Z')
/** Ten minutes after the escort events of the fixtures (seed 000). */
const DEC = Date.parse('2024-12-11T08:10:00.000Z')
/** The gateway clock, set by `clock`. */
let now = JAN
function clock(at: number): void {
  now = at
  vi.setSystemTime(at)
}
const APP = 'seed-app'
const COLUMNS = 'app_id, event_id, event_name, event_time, sent_at, received_at, occurred_at, skew_ms, source, schema_version, ' +
  'store_id, device_id, user_id, session_id, platform, app_version, channel, device_type, correlation_id, properties, flags'

type Row = Record<string, unknown>

/** A whole stored row: what every HTTP event of this app has now, then `fields`; occurred_at is event_time unless given. */
function row(fields: Row & { event_time: string }): Row {
  const { event_time: time, occurred_at: occurred, ...rest } = fields
  return {
    app_id: APP, sent_at: null, received_at: new Date(now), skew_ms: 0, source: 'http', schema_version: null,
    store_id: null, device_id: null, user_id: null, session_id: null, platform: null, app_version: null, channel: null,
    device_type: null, correlation_id: null, properties: {}, flags: [], ...rest,
    event_time: new Date(time), occurred_at: new Date((occurred as string | undefined) ?? time)
  }
}

/** One entry of an answer's `results`. */
type Result = { index: number; event_id: string | null; status: string; code?: string; path?: string; message?: string }
const accepted = (index: number, eventId: string): Result => ({ index, event_id: eventId, status: 'accepted' })
const duplicate = (index: number, eventId: string): Result => ({ index, event_id: eventId, status: 'duplicate' })
/** The whole answer of a batch whose events are `results`. */
const answer = (results: Result[]) => ({
  accepted: results.filter((r) => r.status === 'accepted').length, duplicate: results.filter((r) => r.status === 'duplicate').length,
  rejected: results.filter((r) => r.status === 'rejected').length, dropped: 0, results
})

describe('compatibility routes with the seeds\' own payloads', () => {
  let gw: Gateway
  let key: string

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: JAN })
    gw = await buildGateway(testConfig(), { db: await openPglite() })
    key = await keyFor(gw, 'write', APP)
  })
  afterAll(async () => {
    await gw.close()
    vi.useRealTimers()
  })

  const post = (url: string, body: string | Buffer, headers: Record<string, string>) =>
    gw.http.inject({ method: 'POST', url, payload: body, headers })
  const json = { 'content-type': 'application/json' }
  const bearer = () => ({ ...json, authorization: `Bearer ${key}` })
  /** The app's stored rows of these events, in the order of `ids`. */
  const rows = async (ids: readonly string[]): Promise<Row[]> =>
    (await gw.services.db.query(`SELECT ${COLUMNS} FROM events WHERE app_id = $1 AND event_id = ANY($2) ORDER BY array_position($2, event_id)`, [APP, ids])).rows
  const count = async (): Promise<number> =>
    (await gw.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE app_id = $1', [APP])).rows[0]?.n ?? -1

  describe('seed 001: POST /api/track', () => {
    beforeAll(() => clock(JAN))
    const SESSION = { event_name: 'session_start', event_time: '2024-01-15T10:30:45.123Z', properties: SESSION_START_PROPS }

    it('stores §4.2\'s body, its placeholder filled with §3.2\'s session_start attributes, ids lifted from properties', async () => {
      const res = await post('/api/track', JSON.stringify({ ...TRACK_BODY, events: [SESSION] }), bearer())
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([accepted(0, 'k:session_start:sess_xyz789')]))
      expect(await rows(['k:session_start:sess_xyz789'])).toEqual([row({
        event_id: 'k:session_start:sess_xyz789', event_name: 'session_start', event_time: '2024-01-15T10:30:45.123Z',
        schema_version: 'v1.0', store_id: 'store_001', session_id: 'sess_xyz789', properties: SESSION_START_PROPS
      })])
    })

    it('answers §4.2\'s body with its placeholder left empty per event, and quarantines it', async () => {
      const res = await post('/api/track', JSON.stringify(TRACK_BODY), bearer())
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([
        { index: 0, event_id: null, status: 'rejected', code: 'required_missing', path: '/properties/session_id', message: 'session_id is required' }
      ]))
      const q = await gw.services.db.query('SELECT app_id, event_name, code, payload FROM quarantine WHERE event_name = $1', ['session_start'])
      expect(q.rows).toEqual([{ app_id: APP, event_name: 'session_start', code: 'required_missing', payload: TRACK_BODY.events[0] }])
    })

    it('stores §3.2\'s events with §3.1\'s common fields, and §7.1\'s SDK call, in their canonical columns', async () => {
      const events = [QR_SCAN, BILLING_FROZEN, PAYMENT_SUCCESS].map((e) => ({ ...COMMON, ...e }))
      const res = await post('/api/track', JSON.stringify({ events: [...events, SDK_QR_SCAN], schema_version: 'v1.0' }), bearer())
      const time = Date.parse(COMMON.event_time)
      const ids = [
        derivedId({ eventName: 'qr_scan', userId: 'usr_abc123', sessionId: 'sess_xyz789', deviceId: 'dev_terminal_01', eventTime: time }),
        derivedId({ eventName: 'billing_frozen', userId: 'usr_abc123', sessionId: 'sess_xyz789', deviceId: 'dev_terminal_01', eventTime: time }),
        'k:payment_success:pay_xyz123',
        derivedId({ eventName: 'qr_scan', userId: null, sessionId: null, deviceId: null, eventTime: time })
      ]
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer(ids.map((id, i) => accepted(i, id))))
      const common = {
        event_time: COMMON.event_time, schema_version: 'v1.0', user_id: 'usr_abc123', session_id: 'sess_xyz789', store_id: 'store_001',
        device_id: 'dev_terminal_01', app_version: 'v1.2.3', platform: 'h5', correlation_id: 'req_uuid_12345'
      }
      expect(await rows(ids)).toEqual([
        row({ ...common, event_id: ids[0], event_name: 'qr_scan', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat', scan_result: 'success' } }),
        row({ ...common, event_id: ids[1], event_name: 'billing_frozen', properties: { amount: 4500, minutes: 90, rules_applied_count: 2, billing_rules: ['hourly_rate', 'member_discount'] } }),
        // payment_success declares `channel`: the payment channel stays a property, not the acquisition channel.
        row({ ...common, event_id: ids[2], event_name: 'payment_success', properties: { payment_id: 'pay_xyz123', amount: 4500, channel: 'wechat', coupon_used: true, activity_tags: ['new_user', 'weekend_promo'] } }),
        row({ event_id: ids[3], event_name: 'qr_scan', event_time: COMMON.event_time, schema_version: 'v1.0', properties: SDK_QR_SCAN.properties })
      ])
    })

    it('accepts a device\'s heartbeat, one flat event stamped with ts, with HTTP Basic; it feeds presence like an MQTT one', async () => {
      const ts = now - 2000
      const basic = `Basic ${Buffer.from(`${key}:`).toString('base64')}`
      const res = await post('/api/track', JSON.stringify({ ...HEARTBEAT, ts }), { ...json, authorization: basic })
      const id = derivedId({ eventName: 'heartbeat_receive', userId: null, sessionId: null, deviceId: 'dev_table_01', eventTime: ts })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([accepted(0, id)]))
      expect(await rows([id])).toEqual([row({
        event_id: id, event_name: 'heartbeat_receive', event_time: new Date(ts).toISOString(), device_id: 'dev_table_01',
        properties: { table_id: 'tbl_001', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60 }
      })])
      expect(gw.services.presence.get('dev_table_01')).toEqual({
        deviceId: 'dev_table_01', storeId: null, online: true, lastSeen: now, deadline: now + 15_000, since: now, reason: 'first_heartbeat'
      })
      // The transition is stored after the answer, under the devices' app.
      const online = async (): Promise<Row[]> =>
        (await gw.services.db.query(`SELECT ${COLUMNS} FROM events WHERE app_id = 'devices' AND device_id = 'dev_table_01'`)).rows
      await vi.waitFor(async () => expect(await online()).toHaveLength(1))
      expect(await online()).toEqual([row({
        app_id: 'devices', event_id: `presence:dev_table_01:on:${now}`, event_name: 'device_online', event_time: new Date(now).toISOString(),
        source: 'server', platform: 'device', device_id: 'dev_table_01', properties: { device_id: 'dev_table_01', reason: 'first_heartbeat' }
      })])
    })
  })

  describe('seed 000: POST /tracking/events/batch and /tracking/events', () => {
    beforeAll(() => clock(DEC))
    const CLICK_ID = '1734567890124-m4n5b6v7c'
    const ORDER_ID = '1734567890125-z9y8x7w6v'
    const context = {
      event_time: '2024-12-11T08:00:00.000Z', user_id: 'usr_1', device_id: DEVICE_ID, session_id: SESSION_ID, platform: 'miniprogram',
      device_type: 'iPhone 14', app_version: '8.0.44'
    }
    const sdkContext = { os_name: 'ios', os_version: 'iOS 17.2', city_code: '310100' }

    it('stores the SDK\'s flush() body: opaque ids kept, camelCase in canonical columns, miniapp read as miniprogram', async () => {
      const events = [sdkEvent('page_view', PAGE_VIEW_PROPS), sdkEvent('button_click', CLICK_PROPS, CLICK_ID), { ...FULL_EVENT, eventId: ORDER_ID }]
      const res = await post(`/tracking/events/batch?key=${key}`, JSON.stringify({ events }), json)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([accepted(0, EVENT_ID), accepted(1, CLICK_ID), accepted(2, ORDER_ID)]))
      expect(await rows([EVENT_ID, CLICK_ID, ORDER_ID])).toEqual([
        row({ ...context, event_id: EVENT_ID, event_name: 'page_view', properties: { page_path: '/pages/index/index', page_title: '首页', referrer: '', ...sdkContext } }),
        row({ ...context, event_id: CLICK_ID, event_name: 'button_click', properties: { element_id: 'btn_book', element_text: '立即预约', ...sdkContext } }),
        // latitude and longitude are dropped (privacy: secret); the context's referrer is a property.
        row({
          ...context, event_id: ORDER_ID, event_name: 'order_created', properties: {
            order_id: 'ord_1', order_no: 'NO20241211001', amount: 19900, service_id: 'svc_1', ...sdkContext, escort_id: 'esc_1',
            source: 'wechat', campaign: 'winter', referrer: 'share', utm_source: 'moments', utm_medium: 'social', utm_campaign: 'winter_2024'
          }
        })
      ])
    })

    it('stores one TrackingEvent posted alone, its key in a camelCase writeKey field that is never stored', async () => {
      const id = '1734567890126-p0o9i8u7y'
      const event = sdkEvent('order_paid', { orderId: 'ord_1', paymentMethod: 'wechat', amount: 19900 }, id)
      const res = await post('/tracking/events', JSON.stringify({ ...event, writeKey: key }), json)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([accepted(0, id)]))
      expect(await rows([id])).toEqual([
        row({ ...context, event_id: id, event_name: 'order_paid', properties: { order_id: 'ord_1', payment_method: 'wechat', amount: 19900, ...sdkContext } })
      ])
    })
  })

  describe('seed 002: POST /api/report and /api/report/batch', () => {
    beforeAll(() => clock(JAN))
    const at = '2024-01-15T02:00:00.000Z' // "2024-01-15 10:00:00" in UTC+8
    const PV_ID = derivedId({ eventName: 'page_view', userId: '10001', sessionId: 'abc123', deviceId: null, eventTime: Date.parse(at) })
    const PURCHASE_ID = 'k:member_purchase:OD001'
    const reportData = (data: unknown) => post(`/api/report?key=${key}`, JSON.stringify(data), { 'content-type': 'text/plain;charset=UTF-8' })
    const batchReport = (events: unknown[]) =>
      post(`/api/report/batch?key=${key}`, JSON.stringify({ events }), { ...json, 'content-encoding': 'gzip' })

    it('stores reportData()\'s text/plain records: local time at its instant in Asia/Shanghai, yuan in fen', async () => {
      const pv = await reportData(REPORT_PAGE_VIEW)
      const purchase = await reportData(REPORT_MEMBER_PURCHASE)
      expect([pv.statusCode, purchase.statusCode]).toEqual([200, 200])
      expect(pv.json()).toEqual(answer([accepted(0, PV_ID)]))
      expect(purchase.json()).toEqual(answer([accepted(0, PURCHASE_ID)]))
      expect(await rows([PV_ID, PURCHASE_ID])).toEqual([
        row({
          event_id: PV_ID, event_name: 'page_view', event_time: at, user_id: '10001', session_id: 'abc123', device_type: 'pc', channel: 'official',
          properties: { page_url: '/user-management', page_title: '用户管理' }
        }),
        row({
          event_id: PURCHASE_ID, event_name: 'member_purchase', event_time: at, user_id: '10001',
          properties: { order_id: 'OD001', amount: 29900, member_type: 'monthly', payment_method: 'wechat' }
        })
      ])
    })

    it('answers batchReport()\'s plain body labelled gzip; the same records again are duplicates', async () => {
      const before = await count()
      const res = await batchReport([REPORT_PAGE_VIEW, REPORT_MEMBER_PURCHASE])
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([duplicate(0, PV_ID), duplicate(1, PURCHASE_ID)]))
      expect(await count()).toBe(before)
    })

    it('stores 附录A\'s types from a real gzip body, decimal yuan exactly in fen', async () => {
      const base = { user_id: '10001', timestamp: '2024-01-15 10:00:00' }
      const records = [
        { ...base, event_type: 'payment_success', payment_id: 'PAY001', order_id: 'OD001', amount: 299, channel: 'wechat' },
        { ...base, event_type: 'deduction_success', deduction_id: 'DD001', amount: 29.9, deduction_mode: 'auto' },
        { ...base, event_type: 'order_create', order_id: 'OD002', amount: '1000.05', status: 'success' }
      ]
      const res = await post(`/api/report/batch?key=${key}`, gzipSync(JSON.stringify({ events: records })), { ...json, 'content-encoding': 'gzip' })
      const ids = ['k:payment_success:PAY001', derivedId({ eventName: 'member_deduction', userId: '10001', sessionId: null, deviceId: null, eventTime: Date.parse(at) }), 'k:credit_order_created:OD002']
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer(ids.map((id, i) => accepted(i, id))))
      const common = { event_time: at, user_id: '10001' }
      expect(await rows(ids)).toEqual([
        row({ ...common, event_id: ids[0], event_name: 'payment_success', properties: { payment_id: 'PAY001', order_id: 'OD001', amount: 29900, channel: 'wechat' } }),
        row({ ...common, event_id: ids[1], event_name: 'member_deduction', properties: { deduction_id: 'DD001', amount: 2990, deduction_mode: 'auto', status: 'success' } }),
        row({ ...common, event_id: ids[2], event_name: 'credit_order_created', properties: { order_id: 'OD002', amount: 100005, status: 'success' } })
      ])
    })
  })

  describe('/v1/track', () => {
    beforeAll(() => clock(DEC))
    it('stores one event with its envelope fields beside it', async () => {
      const event = { event_id: 'v1-track-1', event_name: 'page_view', event_time: '2024-12-11T16:09:00+08:00', user_id: 'u9', properties: { page: '/home' } }
      const res = await post('/v1/track', JSON.stringify({ ...event, sent_at: now - 1000, schema_version: '1.0' }), bearer())
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual(answer([accepted(0, 'v1-track-1')]))
      expect(await rows(['v1-track-1'])).toEqual([row({
        event_id: 'v1-track-1', event_name: 'page_view', event_time: '2024-12-11T08:09:00.000Z', sent_at: new Date(now - 1000),
        schema_version: '1.0', user_id: 'u9', properties: { page: '/home' }
      })])
    })
  })

  describe('one app across routes', () => {
    beforeAll(() => clock(JAN))
    it('answers the same batch through /api/track and then /v1/batch with duplicates, storing nothing twice', async () => {
      const batch = JSON.stringify({ events: [{ ...COMMON, event_id: 'cross-1', ...QR_SCAN }, { ...COMMON, ...PAYMENT_SUCCESS, payment_id: 'pay_cross' }], schema_version: 'v1.0' })
      const first = await post('/api/track', batch, bearer())
      expect(first.json()).toEqual(answer([accepted(0, 'cross-1'), accepted(1, 'k:payment_success:pay_cross')]))
      const before = await count()
      const again = await post(`/v1/batch?key=${key}`, batch, json)
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual(answer([duplicate(0, 'cross-1'), duplicate(1, 'k:payment_success:pay_cross')]))
      expect(await count()).toBe(before)
    })

    it('stores every event under the write key\'s app', async () => {
      const { rows: apps } = await gw.services.db.query("SELECT DISTINCT app_id FROM events WHERE source = 'http'")
      expect(apps).toEqual([{ app_id: APP }])
    })

    it('never stores a writeKey body field, on any single-event route', async () => {
      const time = '2024-01-15T10:30:00.000Z'
      const bodies: Array<[string, string, Row]> = [
        ['/v1/track', 'wk-v1', { event_id: 'wk-v1', event_name: 'page_view', event_time: time }],
        ['/api/track', 'wk-hb', { ...HEARTBEAT, device_id: 'dev_wk', event_id: 'wk-hb', event_time: time }],
        ['/tracking/events', 'wk-escort', { ...sdkEvent('page_view', {}, 'wk-escort'), eventTime: time }],
        ['/api/report', 'wk-report', { ...REPORT_PAGE_VIEW, event_id: 'wk-report' }]
      ]
      for (const [url, id, body] of bodies) {
        const res = await post(url, JSON.stringify({ ...body, writeKey: key }), { 'content-type': 'text/plain;charset=UTF-8' })
        expect([url, res.statusCode, res.json()]).toEqual([url, 200, answer([accepted(0, id)])])
      }
      const { rows: leaked } = await gw.services.db.query("SELECT event_id, properties FROM events WHERE properties::text LIKE '%' || $1 || '%'", [key])
      expect(leaked).toEqual([])
    })
  })

  describe('request bodies', () => {
    const gz = gzipSync(JSON.stringify({ events: [REPORT_PAGE_VIEW] }))
    it.each([
      ['corrupt', Buffer.concat([gz.subarray(0, 10), Buffer.alloc(gz.length - 10, 0xff)]), 'invalid block type'],
      ['truncated', gz.subarray(0, gz.length - 6), 'unexpected end of file']
    ])('answers a %s gzip body with 400', async (_, body, why) => {
      const res = await post(`/api/report/batch?key=${key}`, body, { ...json, 'content-encoding': 'gzip' })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({ error: { code: 'PG_ERR_BODY_INVALID', message: `The request body cannot be read: the gzip body cannot be decompressed (${why})` } })
    })

    it('answers a gzip bomb (50 MB of zeros) with 413 naming max_batch_bytes', async () => {
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024))
      expect(bomb.length).toBeLessThan(100 * 1024)
      const res = await post(`/tracking/events/batch?key=${key}`, bomb, { ...json, 'content-encoding': 'gzip' })
      expect(res.statusCode).toBe(413)
      expect(res.json()).toEqual({ error: { code: 'PG_ERR_BATCH_TOO_LARGE', message: 'The batch is over a limit: the body decompresses to more than max_batch_bytes (1048576)', limit: 'max_batch_bytes', max: 1048576 } })
    })

    it('answers Content-Encoding br with 415', async () => {
      const res = await post('/api/track', JSON.stringify(TRACK_BODY), { ...bearer(), 'content-encoding': 'br' })
      expect(res.statusCode).toBe(415)
      expect(res.json()).toEqual({ error: { code: 'PG_ERR_ENCODING', message: 'Unsupported Content-Encoding: br; send gzip, deflate or no encoding' } })
    })
  })
})
