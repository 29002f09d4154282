/**
 * The stats API as a client sees it: events of chosen local days (Asia/Shanghai, the default
 * zone) sent through `POST /v1/batch` by two apps, the days recomputed through the admin route's
 * NDJSON stream, then every read route's answer compared whole with what was sent, CSV byte for
 * byte, and the refusals. Every answer is also checked against docs/openapi.yaml.
 *
 * The days are last week's Wednesday and Thursday: late (older than PULSEGATE_LATE_AFTER_MS)
 * but stored, inside the retention, and in a week that has ended, so it is recomputed too.
 */
import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import * as formats from 'ajv-formats'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { OPENAPI_PATH } from '../../gateway/http/routes/openapi.js'
import { openPglite } from '../../processors/db/pglite.js'
import { addDays, localDate, localMidnight, periodOf, type Period } from '../../processors/stats/periods.js'
import { keyFor, testConfig } from '../support/gateway.js'

const TZ = 'Asia/Shanghai'
const today = localDate(Date.now(), TZ)
const WEEK = periodOf('week', addDays(periodOf('week', today).start, -7))
const D1 = addDays(WEEK.start, 2)
const D2 = addDays(D1, 1)

/** A local wall-clock time of `day` in Asia/Shanghai, as the ISO instant an event carries. */
const at = (day: string, hh: number, mm = 0, ss = 0, ms = 0): string =>
  new Date(localMidnight(day, TZ) + ((hh * 60 + mm) * 60 + ss) * 1000 + ms).toISOString()

interface Wire { event_id: string; event_name: string; event_time: string; user_id?: string; device_id?: string; channel?: string; device_type?: string; store_id?: string; properties?: Record<string, unknown> }

/** Web and finance events: 4 page views by 3 identities on D1 (one at 23:59:59.999), 1 on D2 at 00:00:00.000. */
const WEB: Wire[] = [
  { event_id: 'pv1', event_name: 'page_view', event_time: at(D1, 10, 5), user_id: 'u1', channel: 'wechat', device_type: 'mobile', properties: { page: '/' } },
  { event_id: 'pv2', event_name: 'page_view', event_time: at(D1, 10, 30), user_id: 'u1', channel: 'wechat', device_type: 'mobile', properties: { page: '/a' } },
  { event_id: 'pv3', event_name: 'page_view', event_time: at(D1, 10, 45), user_id: 'u2', channel: 'alipay', device_type: 'pc', properties: { page: '/' } },
  { event_id: 'pv4', event_name: 'page_view', event_time: at(D1, 23, 59, 59, 999), device_id: 'd3', properties: { page: '/' } },
  { event_id: 'pv5', event_name: 'page_view', event_time: at(D2, 0), user_id: 'u4', channel: 'wechat', device_type: 'pc', properties: { page: '/' } },
  // Real-name: u1 passes twice (counted once, on D1), u2 on D2.
  { event_id: 'rn1', event_name: 'real_name_verified', event_time: at(D1, 11), user_id: 'u1', channel: 'wechat' },
  { event_id: 'rn2', event_name: 'real_name_verified', event_time: at(D2, 9), user_id: 'u1', channel: 'wechat' },
  { event_id: 'rn3', event_name: 'real_name_verified', event_time: at(D2, 9, 30), user_id: 'u2' },
  // Deductions on D1: 500 + 200 (no status counts as success) member; 300 failed; 1000 of another service type.
  { event_id: 'md1', event_name: 'member_deduction', event_time: at(D1, 12), user_id: 'u1', channel: 'wechat', properties: { amount: 500, status: 'success' } },
  { event_id: 'md2', event_name: 'member_deduction', event_time: at(D1, 12, 10), user_id: 'u2', properties: { amount: 300, status: 'failed' } },
  { event_id: 'md3', event_name: 'member_deduction', event_time: at(D1, 12, 20), user_id: 'u2', properties: { amount: 200 } },
  { event_id: 'md4', event_name: 'member_deduction', event_time: at(D1, 12, 30), user_id: 'u1', properties: { amount: 1000, status: 'success', service_type: 'goods' } },
  // A member refund on D2.
  { event_id: 'rf1', event_name: 'refund', event_time: at(D2, 14), user_id: 'u1', properties: { amount: 100, service_type: 'member' } }
]

/**
 * The billiards payment funnel on D1, by store: f1 pays; f2 stops after opening a table; f3
 * creates a payment; f4 only scans; f5 skips session_start; f7 opens a table two days later
 * (outside a 1-day window); f8 scans on D2 (outside the range asked).
 */
function billiards(): Wire[] {
  const out: Wire[] = []
  const ev = (user: string, store: string, name: string, time: string, properties: Record<string, unknown>): void => {
    out.push({ event_id: `${user}-${name}`, event_name: name, event_time: time, user_id: user, store_id: store, properties })
  }
  const scan = { table_code: 'T1' }
  const session = (user: string) => ({ session_id: `ss-${user}`, table_id: 'T1' })
  ev('f1', 's1', 'qr_scan', at(D1, 13), scan)
  ev('f1', 's1', 'session_start', at(D1, 13, 1), session('f1'))
  ev('f1', 's1', 'payment_create', at(D1, 14), { payment_id: 'pay-f1', session_id: 'ss-f1', amount: 4500 })
  ev('f1', 's1', 'payment_success', at(D1, 14, 1), { payment_id: 'pay-f1', amount: 4500 })
  ev('f2', 's1', 'qr_scan', at(D1, 13, 10), scan)
  ev('f2', 's1', 'session_start', at(D1, 13, 11), session('f2'))
  ev('f3', 's2', 'qr_scan', at(D1, 15), scan)
  ev('f3', 's2', 'session_start', at(D1, 15, 2), session('f3'))
  ev('f3', 's2', 'payment_create', at(D1, 16), { payment_id: 'pay-f3', session_id: 'ss-f3', amount: 3000 })
  ev('f4', 's2', 'qr_scan', at(D1, 15, 30), scan)
  ev('f5', 's1', 'qr_scan', at(D1, 16), scan)
  ev('f5', 's1', 'payment_create', at(D1, 16, 5), { payment_id: 'pay-f5', session_id: 'ss-f5', amount: 1000 })
  ev('f7', 's1', 'qr_scan', at(D1, 18), scan)
  ev('f7', 's1', 'session_start', at(addDays(D1, 2), 18), session('f7'))
  ev('f8', 's2', 'qr_scan', at(D2, 10), scan)
  return out
}

// --- Answers checked against docs/openapi.yaml ---------------------------------------------------

type Json = Record<string, unknown>
const doc = parse(readFileSync(OPENAPI_PATH, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, Json> }>>; components: Record<string, Record<string, Json>> }
// ajv-formats is CommonJS; under NodeNext its plugin is the namespace's default export (as in processors/plan/compile.ts).
const addFormats = (formats as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
const toAjv = (node: unknown): unknown => Array.isArray(node) ? node.map(toAjv)
  : node !== null && typeof node === 'object' ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'components#/$defs/') : toAjv(v)]))
    : node
ajv.addSchema({ $id: 'components', $defs: toAjv(doc.components.schemas) as Json })
const validators = new Map<unknown, ValidateFunction>()

/** The answer's status and media type are listed for the route, and a JSON body matches its schema. */
function expectDocumented(res: LightMyRequestResponse, method: string, path: string): void {
  let response = doc.paths[path]?.[method]?.responses[String(res.statusCode)] as Json | undefined
  if (typeof response?.$ref === 'string') response = doc.components.responses?.[response.$ref.split('/').at(-1) as string]
  expect(response, `${method} ${path} answered ${res.statusCode}: ${res.body.slice(0, 200)}`).toBeDefined()
  const type = String(res.headers['content-type']).split(';')[0] as string
  const media = (response?.content as Record<string, { schema: unknown }> | undefined)?.[type]
  expect(media, `${method} ${path} ${res.statusCode} as ${type}`).toBeDefined()
  if (type !== 'application/json') return
  let validate = validators.get(media?.schema)
  if (validate === undefined) validators.set(media?.schema, validate = ajv.compile(toAjv(media?.schema) as Json))
  expect(validate(res.json()) ? [] : validate.errors, `${method} ${path}: ${res.body}`).toEqual([])
}

describe('the stats API over HTTP', () => {
  let gw: Gateway
  let read: string
  let admin: string
  let recomputed: LightMyRequestResponse

  const send = (method: 'GET' | 'POST', url: string, key: string | undefined, payload?: object) => gw.http.inject({
    method, url, payload, headers: key === undefined ? {} : { authorization: `Bearer ${key}` }
  })
  /** A GET with the all-app read key, checked against the document. */
  const get = async (url: string): Promise<LightMyRequestResponse> => {
    const res = await send('GET', url, read)
    expectDocumented(res, 'get', url.split('?')[0] as string)
    return res
  }
  const post = async (events: Wire[], app: string): Promise<void> => {
    const res = await send('POST', '/v1/batch', await keyFor(gw, 'write', app), { events })
    expect(res.json()).toMatchObject({ accepted: events.length, rejected: 0, duplicate: 0, dropped: 0 })
  }
  const recompute = async (from: string, to: string): Promise<LightMyRequestResponse> => {
    const res = await send('POST', '/v1/admin/stats/recompute', admin, { from, to })
    expectDocumented(res, 'post', '/v1/admin/stats/recompute')
    return res
  }
  const ndjson = (res: LightMyRequestResponse): Json[] => res.body.trim().split('\n').map((l) => JSON.parse(l) as Json)

  beforeAll(async () => {
    // PULSEGATE_TIMEZONE left at its default, Asia/Shanghai.
    gw = await buildGateway(testConfig(), { db: await openPglite() })
    read = await keyFor(gw, 'read', null)
    admin = await keyFor(gw, 'admin')
    await post(WEB, 'web')
    await post(billiards(), 'billiards')
    recomputed = await recompute(D1, D2)
  })
  afterAll(async () => { await gw?.close() })

  it('recomputes a range as an NDJSON stream: the total, one line per period, then done', () => {
    const months = new Map<string, Period>()
    for (const d of [D1, D2]) {
      const m = periodOf('month', d)
      if (m.end <= today) months.set(m.start, m)
    }
    const periods = [periodOf('day', D1), periodOf('day', D2), WEEK, ...months.values()]
    expect([recomputed.statusCode, recomputed.headers['content-type']]).toEqual([200, 'application/x-ndjson'])
    expect(ndjson(recomputed)).toEqual([
      { total: periods.length },
      ...periods.map((p, i) => ({ done: i + 1, total: periods.length, period: p.kind, start: p.start })),
      { done: true, periods: periods.length, seconds: expect.any(Number) }
    ])
  })

  it('audits the recomputation', async () => {
    const res = await send('GET', '/v1/admin/audit?limit=5', admin)
    expect(res.json().entries ?? res.json().items ?? res.json()).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'stats.recompute', target: `${D1}..${D2}` })
    ]))
  })

  it('lists the catalog', async () => {
    const res = await get('/v1/stats/metrics')
    const body = res.json()
    expect(body.time_zone).toBe(TZ)
    expect(body.metrics.find((m: Json) => m.name === 'pv')).toEqual({ name: 'pv', kind: 'count', title: 'PV (页面访问量)', unit: null, dimensions: ['channel', 'device_type', 'user_type', 'store'], realtime: true })
    expect(body.metrics.find((m: Json) => m.name === 'total_deduction')).toMatchObject({ kind: 'cumulative', unit: 'minor', realtime: false })
  })

  const DAY = 'pv,uv,real_name,member_deduction_day,deduction_day,member_deduction_history,total_deduction,scans,sessions_started,payments,payment_amount'

  it('answers a day\'s figures equal to what was sent', async () => {
    const res = await get(`/v1/stats/daily?date=${D1}&metrics=${DAY}`)
    expect(res.json()).toEqual({
      time_zone: TZ, period: 'day', date: D1, dimensions: 'all',
      rows: [{
        period: D1,
        metrics: {
          pv: 4, uv: 3, real_name: 1, member_deduction_day: 700, deduction_day: 1700, member_deduction_history: 700, total_deduction: 1700,
          scans: 6, sessions_started: 3, payments: 1, payment_amount: 4500
        }
      }]
    })
    // The next day: a second real-name pass of u1 does not count again; the running totals carry over, less the refund.
    expect((await get(`/v1/stats/daily?date=${D2}&metrics=${DAY}`)).json().rows).toEqual([{
      period: D2,
      metrics: {
        pv: 1, uv: 1, real_name: 1, member_deduction_day: 0, deduction_day: 0, member_deduction_history: 600, total_deduction: 1600,
        scans: 1, sessions_started: 0, payments: 0, payment_amount: 0
      }
    }])
  })

  it('filters on one dimension value, and breaks down by every value of one', async () => {
    // Regression: a dimension filter was a 500 (an unused, untyped SQL parameter).
    const wechat = await get(`/v1/stats/daily?date=${D1}&metrics=pv,uv,real_name,member_deduction_day,total_deduction&channel=wechat`)
    expect(wechat.json()).toEqual({
      time_zone: TZ, period: 'day', date: D1, dimensions: { channel: 'wechat' },
      rows: [{ period: D1, metrics: { pv: 2, uv: 1, real_name: 1, member_deduction_day: 500, total_deduction: 500 } }]
    })
    const byChannel = await get(`/v1/stats/daily?date=${D1}&metrics=pv,uv&dimension=channel`)
    expect(byChannel.json()).toEqual({
      time_zone: TZ, period: 'day', date: D1, dimensions: 'by channel',
      rows: [
        { period: D1, value: 'alipay', metrics: { pv: 1, uv: 1 } },
        { period: D1, value: 'unknown', metrics: { pv: 1, uv: 1 } },
        { period: D1, value: 'wechat', metrics: { pv: 2, uv: 1 } }
      ]
    })
    // Every identity was first seen on D1: all of D1's views are by new users.
    expect((await get(`/v1/stats/daily?date=${D1}&metrics=pv,uv&user_type=new`)).json().rows).toEqual([{ period: D1, metrics: { pv: 4, uv: 3 } }])
  })

  it('answers the local hours of a day, the 23:59:59.999 view in the day\'s last hour', async () => {
    expect((await get(`/v1/stats/hourly?date=${D1}&metrics=pv,uv`)).json()).toEqual({
      time_zone: TZ, period: 'hour', date: D1, dimensions: 'all',
      rows: [
        { period: at(D1, 10), day: D1, metrics: { pv: 3, uv: 2 } },
        { period: at(D1, 23), day: D1, metrics: { pv: 1, uv: 1 } }
      ]
    })
    expect((await get(`/v1/stats/hourly?date=${D1}&metrics=pv,uv&channel=wechat`)).json().rows).toEqual([
      { period: at(D1, 10), day: D1, metrics: { pv: 2, uv: 1 } }
    ])
  })

  it('answers a range by day and by week', async () => {
    const metrics = 'pv,uv,real_name,member_deduction_day,total_deduction'
    expect((await get(`/v1/stats/range?from=${D1}&to=${D2}&metrics=${metrics}`)).json()).toEqual({
      time_zone: TZ, period: 'day', from: D1, to: D2, dimensions: 'all',
      rows: [
        { period: D1, metrics: { pv: 4, uv: 3, real_name: 1, member_deduction_day: 700, total_deduction: 1700 } },
        { period: D2, metrics: { pv: 1, uv: 1, real_name: 1, member_deduction_day: 0, total_deduction: 1600 } }
      ]
    })
    // The week counts each identity once (u1, u2, d3, u4); its running total is the one at its end.
    expect((await get(`/v1/stats/range?from=${WEEK.start}&to=${D2}&period=week&metrics=${metrics}`)).json()).toEqual({
      time_zone: TZ, period: 'week', from: WEEK.start, to: D2, dimensions: 'all',
      rows: [{ period: WEEK.start, metrics: { pv: 5, uv: 4, real_name: 2, member_deduction_day: 700, total_deduction: 1600 } }]
    })
  })

  it('answers CSV: a header, then one CRLF line per row, metrics in the order asked', async () => {
    const range = await get(`/v1/stats/range?from=${D1}&to=${D2}&metrics=pv,uv&format=csv`)
    expect([range.headers['content-type'], range.headers['content-disposition'], range.body])
      .toEqual(['text/csv; charset=utf-8', 'attachment; filename="stats.csv"', `period,pv,uv\r\n${D1},4,3\r\n${D2},1,1\r\n`])
    expect((await get(`/v1/stats/daily?date=${D1}&metrics=uv,pv&dimension=channel&format=csv`)).body)
      .toBe(`period,value,uv,pv\r\n${D1},alipay,1,1\r\n${D1},unknown,1,1\r\n${D1},wechat,1,2\r\n`)
    expect((await get(`/v1/stats/hourly?date=${D1}&metrics=pv&format=csv`)).body)
      .toBe(`period,pv\r\n${at(D1, 10)},3\r\n${at(D1, 23)},1\r\n`)
  })

  it('answers the payment funnel: users per step and the rates, whole and by store', async () => {
    const steps = 'qr_scan,session_start,payment_create,payment_success'
    const range = `from=${encodeURIComponent(at(D1, 0))}&to=${encodeURIComponent(at(D2, 0))}`
    const step = (event: string, users: number, fromPrevious: number | null, fromFirst: number | null) => ({ event, users, from_previous: fromPrevious, from_first: fromFirst })
    expect((await get(`/v1/stats/funnel?steps=${steps}&${range}`)).json()).toEqual({
      from: at(D1, 0), to: at(D2, 0), window: '1d', by: null,
      groups: [{
        value: null,
        steps: [step('qr_scan', 6, null, null), step('session_start', 3, 0.5, 0.5), step('payment_create', 2, 0.666667, 0.333333), step('payment_success', 1, 0.5, 0.166667)]
      }]
    })
    expect((await get(`/v1/stats/funnel?steps=${steps}&${range}&by=store`)).json()).toEqual({
      from: at(D1, 0), to: at(D2, 0), window: '1d', by: 'store',
      groups: [
        { value: 's1', steps: [step('qr_scan', 4, null, null), step('session_start', 2, 0.5, 0.5), step('payment_create', 1, 0.5, 0.25), step('payment_success', 1, 1, 0.25)] },
        { value: 's2', steps: [step('qr_scan', 2, null, null), step('session_start', 1, 0.5, 0.5), step('payment_create', 1, 1, 0.5), step('payment_success', 0, 0, 0)] }
      ]
    })
    // With a 3-day window f7's table, opened two days after the scan, counts.
    const wide = (await get(`/v1/stats/funnel?steps=${steps}&${range}&window=3d`)).json()
    expect(wide.groups[0].steps.map((s: { users: number }) => s.users)).toEqual([6, 4, 2, 1])
  })

  it('answers today\'s realtime counters, and today\'s computed figures once recomputed', async () => {
    const now = Date.now()
    await post([
      { event_id: 'now-pv', event_name: 'page_view', event_time: new Date(now - 1000).toISOString(), user_id: 'u9', properties: { page: '/' } },
      { event_id: 'now-md', event_name: 'member_deduction', event_time: new Date(now - 1000).toISOString(), user_id: 'u9', properties: { amount: 250 } },
      { event_id: 'now-rn', event_name: 'real_name_verified', event_time: new Date(now - 1000).toISOString(), user_id: 'u9' }
    ], 'web')
    const zero = Object.fromEntries(gw.services.stats.catalog.realtime.map((m) => [m.name, 0]))
    const counted = { ...zero, pv: 1, uv: 1, member_deduction_day: 250, deduction_day: 250 }
    const res = await get('/v1/stats/realtime')
    expect(res.json()).toMatchObject({ time_zone: TZ, date: localDate(now, TZ), today: counted, windows: { '1m': counted, '5m': counted, '1h': counted } })
    expect(ndjson(await recompute(localDate(now, TZ), localDate(now, TZ))).at(-1)).toMatchObject({ done: true })
    // `computed` holds the metrics the counters do not count; the counted ones are in `today`.
    const computed = (await get('/v1/stats/realtime')).json().computed
    expect(computed).toMatchObject({ real_name: 1, card_binding: 0, new_members: 0 })
    expect(Object.keys(computed).filter((m) => m in zero)).toEqual([])
  })

  it.each([
    ['a date that is no calendar date', `/v1/stats/daily?date=${D1.slice(0, 4)}-02-30`, 'PG_ERR_STATS_QUERY_INVALID', '/date'],
    ['a date not written YYYY-MM-DD', '/v1/stats/hourly?date=yesterday', 'PG_ERR_REQUEST', undefined],
    ['from after to', `/v1/stats/range?from=${D2}&to=${D1}`, 'PG_ERR_STATS_QUERY_INVALID', '/from'],
    ['a range over 400 days', `/v1/stats/range?from=2020-01-01&to=${D1}`, 'PG_ERR_STATS_QUERY_INVALID', '/to'],
    // Regression: listing the days up to 9999-12-31 never ended (the day after is `+010000-…`) and ran the gateway out of memory.
    ['a range to 9999-12-31', `/v1/stats/range?from=${D1}&to=9999-12-31`, 'PG_ERR_STATS_QUERY_INVALID', '/to'],
    ['filters on two dimensions', `/v1/stats/daily?date=${D1}&channel=wechat&store=s1`, 'PG_ERR_STATS_QUERY_INVALID', '/store'],
    ['a filter with dimension', `/v1/stats/daily?date=${D1}&channel=wechat&dimension=store`, 'PG_ERR_STATS_QUERY_INVALID', '/dimension'],
    ['an unknown dimension', `/v1/stats/daily?date=${D1}&dimension=colour`, 'PG_ERR_REQUEST', undefined],
    ['an unknown parameter', `/v1/stats/daily?date=${D1}&colour=red`, 'PG_ERR_REQUEST', undefined],
    ['a funnel of one step', '/v1/stats/funnel?steps=qr_scan', 'PG_ERR_STATS_QUERY_INVALID', '/steps'],
    ['a funnel over more than 400 days', '/v1/stats/funnel?steps=qr_scan,session_start&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'PG_ERR_STATS_QUERY_INVALID', '/to'],
    ['a funnel time without a zone', '/v1/stats/funnel?steps=qr_scan,session_start&from=2026-11-20T10:00:00', 'PG_ERR_STATS_QUERY_INVALID', '/from'],
    // Regression: a window past PostgreSQL's bigint milliseconds was a 500.
    ['a funnel window over 400 days', '/v1/stats/funnel?steps=qr_scan,session_start&window=999999999999d', 'PG_ERR_STATS_QUERY_INVALID', '/window']
  ])('refuses %s with 400', async (_, url, code, path) => {
    const res = await get(url)
    expect([res.statusCode, res.json().error.code, res.json().error.path]).toEqual([400, code, path])
  })

  it('answers 404 for a metric the catalog does not have', async () => {
    const res = await get(`/v1/stats/range?from=${D1}&to=${D2}&metrics=pv,gmv`)
    expect([res.statusCode, res.json()]).toEqual([404, { error: { code: 'PG_ERR_NO_SUCH_METRIC', message: 'The metric catalog has no metric of that name: gmv', path: '/metrics' } }])
  })

  const ROUTES = ['/v1/stats/metrics', `/v1/stats/daily?date=${D1}`, `/v1/stats/hourly?date=${D1}`, `/v1/stats/range?from=${D1}&to=${D2}`, '/v1/stats/realtime', '/v1/stats/funnel?steps=qr_scan,session_start']

  it('needs a key (401), of all apps (403 for a read key limited to one app, and for a write key); admin keys read too', async () => {
    const limited = await keyFor(gw, 'read', 'web')
    const write = await keyFor(gw, 'write', 'web')
    for (const url of ROUTES) {
      const path = url.split('?')[0] as string
      const none = await send('GET', url, undefined)
      expect([none.statusCode, none.json().error.code, none.headers['www-authenticate']]).toEqual([401, 'PG_ERR_UNAUTHENTICATED', 'Bearer realm="pulsegate"'])
      expectDocumented(none, 'get', path)
      const one = await send('GET', url, limited)
      expect([one.statusCode, one.json()]).toEqual([403, { error: { code: 'PG_ERR_FORBIDDEN', message: 'statistics cover every app: a read key limited to app web cannot read them' } }])
      expectDocumented(one, 'get', path)
      const writing = await send('GET', url, write)
      expect([writing.statusCode, writing.json().error.code]).toEqual([403, 'PG_ERR_FORBIDDEN'])
      expect((await send('GET', url, admin)).statusCode, url).toBe(200)
    }
  })

  it('recomputes for the admin key only, and refuses a range before the retention or backwards, writing nothing', async () => {
    for (const [key, status] of [[undefined, 401], [read, 403]] as const) {
      const res = await send('POST', '/v1/admin/stats/recompute', key, { from: D1, to: D2 })
      expect(res.statusCode).toBe(status)
      expectDocumented(res, 'post', '/v1/admin/stats/recompute')
    }
    const before = (await get(`/v1/stats/daily?date=${D1}&metrics=pv`)).json()
    const old = await recompute(addDays(today, -100), today)
    expect([old.statusCode, old.json().error.code, old.json().error.path]).toEqual([400, 'PG_ERR_STATS_QUERY_INVALID', '/from'])
    expect(old.json().error.message).toContain('passed retention')
    const backwards = await recompute(D2, D1)
    expect([backwards.statusCode, backwards.json().error.code]).toEqual([400, 'PG_ERR_STATS_QUERY_INVALID'])
    const notADay = await recompute(`${D1.slice(0, 4)}-02-30`, D2)
    expect([notADay.statusCode, notADay.json().error.code, notADay.json().error.path]).toEqual([400, 'PG_ERR_STATS_QUERY_INVALID', '/from'])
    expect((await get(`/v1/stats/daily?date=${D1}&metrics=pv`)).json()).toEqual(before)
  })
})
