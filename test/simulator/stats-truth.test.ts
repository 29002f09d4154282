/**
 * The simulator's ground truth is complete enough to know what the statistics should say: app
 * traffic with invalid, duplicate, late and skewed events runs against a gateway, the days it
 * covers are recomputed, and every figure the stats API answers for them equals the
 * independent model (test/support/stats-reference.ts) fed with the truth's accepted events.
 *
 * Exact, except where the truth cannot be: a skewed client's events are shifted by the
 * gateway's receipt time, which only the gateway knows, so the truth bounds their occurred_at
 * by [`at`, `at_max`] (the request going out, its answer). That can matter in two places:
 * - the local day of an event whose bounds straddle a midnight: none may, which is checked
 *   rather than arranged (the run's time is the wall clock's; bounds are a few ms wide, so a
 *   straddle needs a skewed event within ms of midnight);
 * - figures made of time differences (played minutes, visit durations between page views):
 *   exact to the millisecond when no skewed event enters them, else bounded by the truth.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminClient } from '../../bin/commands/admin-client.js'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { addDays, daysBetween, localMidnight } from '../../processors/stats/periods.js'
import { runSimulation } from '../../simulator/run.js'
import { checkScenario, DEFAULT_SCENARIO } from '../../simulator/scenario.js'
import { acceptedAppEvents, readTruth, type AcceptedAppEvent, type Truth } from '../../simulator/truth.js'
import { keyFor, testConfig } from '../support/gateway.js'
import { StatsReference, type RefEvent } from '../support/stats-reference.js'

const ADMIN_KEY = 'sim-test-admin-key-0123456789'
const TZ = 'Asia/Shanghai'

/** Figures that depend on events' days only: equal, exactly. */
const DAY_METRICS = ['pv', 'uv', 'scans', 'real_name', 'card_binding', 'new_members', 'member_deduction_day', 'deduction_day', 'reservations', 'reservations_converted', 'reservation_conversion']
const CUMULATIVE = ['member_deduction_history', 'total_deduction']
/** Figures made of time differences. */
const TIMED = ['played_minutes', 'visit_seconds', 'av']

/**
 * 30 s of app traffic at 1/500 of nominal time (a 90-minute table session in 11 s), with
 * shares of every fault well above the defaults so each shows up; no device events, which the
 * truth does not describe (`devices` events would count as scans).
 */
const scenario = checkScenario({
  ...DEFAULT_SCENARIO, seed: 17, stores: 2, tablesPerStore: 3, durationS: 30, intervalS: 5, eventsPerMinute: 0, httpDevices: 0,
  appUsers: 40, appTimeScale: 0.002, timeZone: TZ,
  appShares: { invalid: 0.05, duplicate: 0.05, late: 0.05, skew: 0.1, missingSettlement: 0.05 }
})

type Row = { period: string; metrics: Record<string, number | null> }
type DimRow = Row & { value: string }

const refEvent = (e: AcceptedAppEvent, at: number): RefEvent => ({
  id: `${e.app}/${e.eventId}`, name: e.eventName, at, user: e.fields.user_id ?? null, session: e.fields.session_id ?? null,
  channel: e.fields.channel ?? null, deviceType: e.fields.device_type ?? null, props: e.props
})
const upper = (e: AcceptedAppEvent): number => e.at_max ?? e.at
/** The canonical field columns of `events`. */
const FIELDS = ['user_id', 'session_id', 'store_id', 'device_id', 'platform', 'app_version', 'channel', 'device_type', 'correlation_id']
const sortKeys = (o: Record<string, unknown>): Array<[string, unknown]> => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))

describe('the ground truth of app traffic gives the statistics PulseGate shows', () => {
  let running: RunningGateway
  let truth: Truth
  let events: AcceptedAppEvent[]
  let ref: StatsReference
  let days: string[]
  let read: string

  const get = async <T>(path: string): Promise<T> => {
    const res = await running.gateway.http.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${read}` } })
    expect(res.statusCode, res.body).toBe(200)
    return (res.json() as { rows: T }).rows
  }

  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false', PULSEGATE_ADMIN_KEY: ADMIN_KEY, PULSEGATE_TIMEZONE: TZ }), { db: await openPglite() })
    const truthPath = join(mkdtempSync(join(tmpdir(), 'pulsegate-sim-')), 'truth.jsonl')
    await runSimulation({
      scenario, api: adminClient({ PULSEGATE_URL: running.httpUrl, PULSEGATE_ADMIN_KEY: ADMIN_KEY }), httpUrl: running.httpUrl, mqttUrl: running.mqttUrl,
      truthPath, progress: null, onError: (err) => { throw err }
    })
    truth = readTruth(truthPath)
    events = acceptedAppEvents(truth)
    ref = new StatsReference(events.map((e) => refEvent(e, e.at)), TZ)
    const seen = events.flatMap((e) => [ref.dayOf(e.at), ref.dayOf(upper(e))]).sort()
    days = daysBetween(seen[0] as string, seen.at(-1) as string)
    read = await keyFor(running.gateway, 'read', null)
    const res = await running.gateway.http.inject({
      method: 'POST', url: '/v1/admin/stats/recompute', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { from: days[0], to: days.at(-1) }
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).at(-1)).toMatchObject({ done: true })
  }, 120_000)
  afterAll(async () => running?.stop())

  it('answers every app event as expected, with every kind of fault, and describes each accepted one', () => {
    const acks = truth.acks.filter((a) => a.kind === 'app')
    expect(acks.filter((a) => a.status !== a.expected)).toEqual([])
    expect(new Set(acks.map((a) => a.status))).toEqual(new Set(['accepted', 'rejected', 'duplicate']))
    expect(events).toHaveLength(acks.filter((a) => a.status === 'accepted').length)
    // Late events (stamped 25 to 47 hours back) and skewed clients (bounded occurred_at) are in the run.
    expect(days.length).toBeGreaterThanOrEqual(2)
    expect(events.some((e) => e.at_max !== undefined)).toBe(true)
    for (const name of ['page_view', 'page_leave', 'qr_scan', 'session_start', 'session_end_request', 'real_name_verified', 'card_bound', 'member_purchase', 'member_deduction', 'reservation_create']) {
      expect(events.some((e) => e.eventName === name), name).toBe(true)
    }
  })

  it('stores each accepted event as its truth says: occurred_at in its bounds, the same fields and properties', async () => {
    const { rows } = await running.gateway.services.db.query<Record<string, unknown> & { app_id: string; event_id: string; occurred_at: Date; properties: Record<string, unknown> }>(
      `SELECT app_id, event_id, occurred_at, properties, ${FIELDS.join(', ')} FROM events WHERE app_id = ANY($1)`, [[...new Set(events.map((e) => e.app))]])
    const stored = new Map(rows.map((r) => [`${r.app_id}/${r.event_id}`, r]))
    const wrong = events.flatMap((e) => {
      const r = stored.get(`${e.app}/${e.eventId}`)
      const fields = r === undefined ? {} : Object.fromEntries(FIELDS.flatMap((f) => (r[f] === null ? [] : [[f, r[f]]])))
      const at = r?.occurred_at.getTime() ?? NaN
      const ok = at >= e.at && at <= upper(e) && JSON.stringify(sortKeys(fields)) === JSON.stringify(sortKeys(e.fields)) && JSON.stringify(sortKeys(r?.properties ?? {})) === JSON.stringify(sortKeys(e.props))
      return ok ? [] : [{ truth: e, stored: r }]
    })
    expect(wrong).toEqual([])
    expect(rows).toHaveLength(events.length)
  })

  it('bounds no event across a local midnight, so every event has a known day', () => {
    expect(events.filter((e) => ref.dayOf(e.at) !== ref.dayOf(upper(e)))).toEqual([])
  })

  it('shows the figures of every day the truth covers, exactly as the model computes them from the truth', async () => {
    const rows = await get<Row[]>(`/v1/stats/range?from=${days[0]}&to=${days.at(-1)}&metrics=${[...DAY_METRICS, ...CUMULATIVE].join(',')}`)
    expect(rows.map((r) => r.period)).toEqual(days)
    for (const row of rows) {
      const want: Record<string, number | null> = Object.fromEntries(DAY_METRICS.map((m) => [m, ref.figure(m, [row.period])]))
      for (const m of CUMULATIVE) want[m] = ref.cumulative(m, row.period)
      expect({ day: row.period, ...row.metrics }).toEqual({ day: row.period, ...want })
    }
    expect(rows.reduce((sum, r) => sum + (r.metrics.pv as number), 0)).toBeGreaterThan(50)
  })

  it('shows page views and visitors by device type, from the fields the truth gives', async () => {
    const rows = await get<DimRow[]>(`/v1/stats/range?from=${days[0]}&to=${days.at(-1)}&metrics=pv,uv&dimension=device_type`)
    const types = [...new Set(events.map((e) => e.fields.device_type ?? 'unknown'))]
    const want = days.flatMap((d) => types.map((v) => ({ period: d, value: v, pv: ref.figure('pv', [d], { device_type: v }), uv: ref.figure('uv', [d], { device_type: v }) })))
    const got = rows.map((r) => ({ period: r.period, value: r.value, pv: r.metrics.pv, uv: r.metrics.uv }))
    const key = (x: { period: string; value: string }): string => `${x.period}/${x.value}`
    expect(got.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(want.filter((x) => (x.pv as number) > 0).sort((a, b) => key(a).localeCompare(key(b))))
  })

  it('shows played minutes and visit durations to the millisecond, within the truth\'s bounds where a skewed client enters them', async () => {
    const rows = await get<Row[]>(`/v1/stats/range?from=${days[0]}&to=${days.at(-1)}&metrics=${TIMED.join(',')}`)
    // Played minutes over sessions as short, and as long, as the bounds allow: start late and end early, or the other way.
    const shortest = new StatsReference(events.map((e) => refEvent(e, e.eventName === 'session_start' ? upper(e) : e.at)), TZ)
    const longest = new StatsReference(events.map((e) => refEvent(e, e.eventName === 'session_end_request' ? upper(e) : e.at)), TZ)
    let exact = 0
    for (const row of rows) {
      const day = [row.period]
      const played = row.metrics.played_minutes as number
      const [lo, hi] = [shortest.figure('played_minutes', day) as number, longest.figure('played_minutes', day) as number]
      if (lo === hi) expect({ day, playedMs: Math.round(played * 60_000) }).toEqual({ day, playedMs: Math.round(lo * 60_000) })
      else expect({ day, inBounds: played >= lo - 1e-9 && played <= hi + 1e-9 }).toEqual({ day, inBounds: true })
      // The gateway looks for a page's next event at most 24 h past the page's day (LOOKAHEAD_MS,
      // processors/stats/sql.ts); the model has no such limit, and a late page_view (stamped a day
      // or two back) has its session's next event today. So the model sees each day's events up to then.
      const horizon = localMidnight(addDays(row.period, 1), TZ) + 86_400_000
      const seen = new StatsReference(events.filter((e) => e.at < horizon).map((e) => refEvent(e, e.at)), TZ)
      // A visit duration between two page views moves by at most the widths of both their bounds:
      // the slack of a day is that of the sessions with a page view in it.
      const sessions = new Set(events.filter((e) => e.eventName === 'page_view' && ref.dayOf(e.at) === row.period).map((e) => e.fields.session_id))
      const slackS = events.filter((e) => sessions.has(e.fields.session_id) && (e.eventName === 'page_view' || e.eventName === 'page_leave'))
        .reduce((sum, e) => sum + 2 * (upper(e) - e.at) / 1000, 0)
      const visit = row.metrics.visit_seconds as number
      const wantVisit = seen.figure('visit_seconds', day) as number
      if (slackS === 0) expect({ day, visitMs: Math.round(visit * 1000), av: row.metrics.av }).toEqual({ day, visitMs: Math.round(wantVisit * 1000), av: seen.figure('av', day) })
      else expect({ day, visit, within: Math.abs(visit - wantVisit) <= slackS + 1e-9 }).toEqual({ day, visit, within: true })
      exact += Number(lo === hi) + Number(slackS === 0)
    }
    expect(rows.some((r) => (r.metrics.played_minutes as number) > 0)).toBe(true)
    expect(rows.some((r) => (r.metrics.visit_seconds as number) > 0)).toBe(true)
    expect(exact).toBeGreaterThan(0)
  })
})
