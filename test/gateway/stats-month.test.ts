/**
 * The statistics issue's acceptance run: a generated month of events — events at 23:59:59.999
 * and 00:00:00.000 local time every day, duplicates, opted-out users, late events sent after
 * their days were computed, a zone with a DST change — sent through the HTTP API of a gateway
 * on PostgreSQL; every figure the stats API answers must equal the independent model of
 * test/support/stats-reference.ts exactly, after the backfill, after the late events (through
 * the dirty-days job), and after a second backfill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { statsJobs } from '../../processors/stats/jobs.js'
import { addDays, daysBetween, localMidnight, periodOf } from '../../processors/stats/periods.js'
import { freshPostgresUrl } from '../support/backends.js'
import { keyFor, testConfig } from '../support/gateway.js'
import { random } from '../support/helpers.js'
import { StatsReference, type RefEvent } from '../support/stats-reference.js'

const APP = 'shop-app'
const CHANNELS = ['wechat', 'alipay', 'direct', null] as const
const DAY_METRICS = ['pv', 'uv', 'scans', 'visit_seconds', 'av', 'real_name', 'card_binding', 'new_members', 'member_deduction_day', 'deduction_day', 'refund_day', 'reservations', 'reservations_converted', 'reservation_conversion', 'played_minutes']

interface Wire { event_id: string; event_name: string; event_time: string; user_id?: string; session_id?: string; channel?: string; device_type?: string; store_id?: string; properties: Record<string, unknown> }

/**
 * The month: for each local day, sessions of page views on whole seconds (some ending with a
 * page_leave), the two edge views, finance and billiards events. Returns what is sent, in
 * send order, and which of it must be stored.
 */
function generate(days: string[], tz: string, seed: number): { sent: Wire[]; late: Wire[]; dupes: Wire[]; optedOut: string } {
  const rnd = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
  const users = Array.from({ length: 30 }, (_, i) => `u${i}`)
  const optedOut = 'u-opted-out'
  const sent: Wire[] = []
  const late: Wire[] = []
  let n = 0
  const ev = (name: string, at: number, over: Partial<Wire> = {}, props: Record<string, unknown> = {}): Wire =>
    ({ event_id: `m-${seed}-${n++}`, event_name: name, event_time: new Date(at).toISOString(), properties: props, ...over })
  for (const day of days) {
    const start = localMidnight(day, tz)
    const end = localMidnight(addDays(day, 1), tz)
    const at = (): number => start + Math.floor(rnd() * ((end - start) / 1000 - 4000)) * 1000
    // The day's first and last instants.
    sent.push(ev('page_view', start, { user_id: pick(users), channel: 'wechat', device_type: 'mobile', session_id: `edge-a-${day}` }, { page: '/first' }))
    sent.push(ev('page_view', end - 1, { user_id: pick(users), channel: 'alipay', device_type: 'pc', session_id: `edge-b-${day}` }, { page: '/last' }))
    for (let s = 0; s < 8; s++) {
      const user = pick(users)
      const channel = pick(CHANNELS)
      const session = `s-${day}-${s}`
      let t = at()
      const views = 1 + Math.floor(rnd() * 4)
      for (let v = 0; v < views; v++) {
        sent.push(ev('page_view', t, { user_id: user, session_id: session, device_type: rnd() < 0.5 ? 'pc' : 'mobile', ...(channel === null ? {} : { channel }) }, { page: `/p${v}` }))
        t += (5 + Math.floor(rnd() * 300)) * 1000
      }
      if (rnd() < 0.5) sent.push(ev('page_leave', t, { user_id: user, session_id: session }, { duration: 1 + Math.floor(rnd() * 200) }))
    }
    // Opted-out user: everything dropped.
    sent.push(ev('page_view', at(), { user_id: optedOut, session_id: `opt-${day}` }, { page: '/x' }))
    for (let i = 0; i < 2; i++) sent.push(ev('real_name_verified', at(), { user_id: pick(users) }, { auth_method: 'face' }))
    sent.push(ev('card_bound', at(), { user_id: pick(users) }, { card_type: 'debit' }))
    sent.push(ev('member_purchase', at(), { user_id: pick(users) }, { order_id: `mo-${day}`, amount: 2990 }))
    for (let i = 0; i < 3; i++) {
      const status = pick([undefined, 'success', 'failed'])
      const serviceType = pick([undefined, 'member', 'goods'])
      sent.push(ev('member_deduction', at(), { user_id: pick(users) }, { amount: 100 + Math.floor(rnd() * 5000), ...(status === undefined ? {} : { status }), ...(serviceType === undefined ? {} : { service_type: serviceType }) }))
    }
    if (rnd() < 0.6) sent.push(ev('refund', at(), { user_id: pick(users) }, { amount: 50 + Math.floor(rnd() * 300), ...(rnd() < 0.5 ? { service_type: 'goods' } : {}) }))
    for (let i = 0; i < 3; i++) sent.push(ev('qr_scan', at(), { user_id: pick(users) }, { table_code: `T${i}` }))
    const r = ev('reservation_create', at(), { user_id: pick(users) }, { reservation_id: `r-${day}`, table_id: 't1' })
    sent.push(r)
    if (rnd() < 0.6) {
      const t0 = Date.parse(r.event_time) + 3_600_000
      const session = `play-${day}`
      sent.push(ev('session_start', t0, { user_id: r.user_id as string, session_id: session, store_id: 'shop-1' }, { session_id: session, table_id: 't1', store_id: 'shop-1', reservation_id: `r-${day}` }))
      sent.push(ev('session_end_request', t0 + (30 + Math.floor(rnd() * 90)) * 60_000, { user_id: r.user_id as string, session_id: session }, { session_id: session }))
    }
    // Late: sent after the first backfill, for this day; one moves a user's first verification earlier.
    late.push(ev('page_view', at(), { user_id: pick(users), session_id: `late-${day}`, channel: 'direct' }, { page: '/late' }))
    late.push(ev('real_name_verified', start + 1000, { user_id: users[(days.indexOf(day) * 7) % users.length] as string }, { auth_method: 'id_card' }))
  }
  // Duplicates: every 10th event again, same id, after everything else.
  const dupes = sent.filter((_, i) => i % 10 === 0)
  return { sent, late, dupes, optedOut }
}

const toRef = (w: Wire): RefEvent => ({
  id: w.event_id, name: w.event_name, at: Date.parse(w.event_time), user: w.user_id ?? null, session: w.session_id ?? null,
  channel: w.channel ?? null, deviceType: w.device_type ?? null, props: w.properties
})

describe.each([
  ['Asia/Shanghai', '2026-10-15', '2026-11-14'],
  // New York leaves daylight time on 2026-11-01: that day has 25 hours.
  ['America/New_York', '2026-10-18', '2026-11-17']
])('a month of statistics in %s', (tz, first, last) => {
  let gw: Gateway
  let read: string
  let admin: string
  const days = daysBetween(first, last)
  const month = generate(days, tz, tz.length)

  const api = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await gw.http.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${read}` } })
    return { status: res.statusCode, body: res.json() }
  }
  const send = async (events: Wire[]): Promise<void> => {
    const key = await keyFor(gw, 'write', APP)
    for (let i = 0; i < events.length; i += 400) {
      const res = await gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${key}` }, payload: { events: events.slice(i, i + 400) } })
      expect(res.statusCode, res.body).toBe(200)
    }
  }
  const recompute = async (): Promise<void> => {
    const res = await gw.http.inject({ method: 'POST', url: '/v1/admin/stats/recompute', headers: { authorization: `Bearer ${admin}` }, payload: { from: first, to: last } })
    expect(res.statusCode).toBe(200)
    expect(res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).at(-1)).toMatchObject({ done: true })
  }

  /** Every day figure, the channel and user-type breakdowns, the running totals, weeks and months. */
  async function expectFigures(ref: StatsReference): Promise<void> {
    const range = await api(`/v1/stats/range?from=${first}&to=${last}&metrics=${DAY_METRICS.join(',')},member_deduction_history,total_deduction`)
    expect(range.status).toBe(200)
    const rows = range.body.rows as Array<{ period: string; metrics: Record<string, number | null> }>
    expect(rows.map((r) => r.period)).toEqual(days)
    for (const row of rows) {
      const expected = Object.fromEntries(DAY_METRICS.map((m) => [m, ref.figure(m, [row.period])]))
      expected.member_deduction_history = ref.cumulative('member_deduction_history', row.period)
      expected.total_deduction = ref.cumulative('total_deduction', row.period)
      expect({ day: row.period, ...row.metrics }).toEqual({ day: row.period, ...expected })
    }
    for (const dimension of ['channel', 'user_type'] as const) {
      const by = await api(`/v1/stats/range?from=${first}&to=${last}&metrics=pv,uv&dimension=${dimension}`)
      const got = (by.body.rows as Array<{ period: string; value: string; metrics: Record<string, number> }>).map((r) => [r.period, r.value, r.metrics.pv, r.metrics.uv])
      const values = dimension === 'channel' ? ['alipay', 'direct', 'unknown', 'wechat'] : ['new', 'returning']
      const want = days.flatMap((d) => values.map((v) => [d, v, ref.figure('pv', [d], { [dimension]: v }), ref.figure('uv', [d], { [dimension]: v })]).filter((x) => (x[2] as number) > 0))
      expect(got).toEqual(want)
    }
    // Each day is the sum of its local hours (23 or 25 of them on DST days).
    for (const d of [days[0] as string, '2026-11-01', last]) {
      const hours = await api(`/v1/stats/hourly?date=${d}&metrics=pv,scans`)
      const list = hours.body.rows as Array<{ metrics: { pv: number; scans: number } }>
      expect(list.reduce((s, h) => s + h.metrics.pv, 0)).toBe(ref.figure('pv', [d]))
      expect(list.reduce((s, h) => s + h.metrics.scans, 0)).toBe(ref.figure('scans', [d]))
    }
    for (const kind of ['week', 'month'] as const) {
      // The backfill computes the weeks and months its days touch once they have ended; the
      // range answers those holding `first` too, though they start before it.
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(Date.now())
      const periods = [...new Map(days.map((d) => periodOf(kind, d)).filter((p) => p.end <= today).map((p) => [p.start, p])).values()]
      const got = await api(`/v1/stats/range?from=${first}&to=${last}&period=${kind}&metrics=pv,uv,real_name`)
      const want = periods.map((p) => {
        const inside = daysBetween(p.start, addDays(p.end, -1))
        return { period: p.start, metrics: { pv: ref.figure('pv', inside), uv: ref.figure('uv', inside), real_name: ref.figure('real_name', inside) } }
      })
      expect(got.body.rows).toEqual(want)
    }
  }

  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_DATABASE_URL: await freshPostgresUrl(), PULSEGATE_TIMEZONE: tz }))
    read = await keyFor(gw, 'read', null)
    admin = await keyFor(gw, 'admin')
    const opt = await gw.http.inject({ method: 'POST', url: '/v1/admin/opt-outs', headers: { authorization: `Bearer ${admin}` }, payload: { app_id: APP, user_ids: [month.optedOut] } })
    expect(opt.statusCode).toBe(200)
  }, 60_000)
  afterAll(async () => { await gw?.close() })

  it('answers every figure of the backfilled month exactly', async () => {
    await send(month.sent)
    await send(month.dupes)
    const stored = await gw.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    const expected = month.sent.filter((w) => w.user_id !== month.optedOut)
    expect(stored.rows[0]?.n).toBe(expected.length)
    await recompute()
    await expectFigures(new StatsReference(expected.map(toRef), tz))
  }, 240_000)

  it('late events mark their days dirty; the dirty-days job brings every figure, week and month up to date', async () => {
    await send(month.late)
    const dirty = await gw.services.db.query<{ day: string }>('SELECT day::text AS day FROM stats_dirty ORDER BY day')
    expect(dirty.rows.map((r) => r.day)).toEqual(days)
    // The job as the runner would run it (the runner itself: test/processors/stats/scheduler.test.ts).
    const job = statsJobs(gw.services.stats).find((j) => j.name === 'stats.dirty')
    for (let round = 0; round < 5; round++) {
      if ((await gw.services.db.query('SELECT 1 FROM stats_dirty')).rows.length === 0) break
      await job?.run({ scheduledAt: new Date(), signal: new AbortController().signal, log: gw.services.log })
    }
    expect((await gw.services.db.query('SELECT day FROM stats_dirty')).rows).toEqual([])
    const all = [...month.sent, ...month.late].filter((w) => w.user_id !== month.optedOut)
    await expectFigures(new StatsReference(all.map(toRef), tz))
    // A second backfill changes nothing.
    await recompute()
    await expectFigures(new StatsReference(all.map(toRef), tz))
  }, 300_000)
})
