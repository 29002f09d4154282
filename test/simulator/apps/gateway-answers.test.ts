/**
 * One generated run, every route, posted to a real gateway on port 0: each event's answer must
 * be the one its truth predicts, status, rejection code and event id. The gateway clock (Date
 * only) follows the simulation, as it would when the framework sends each request on time.
 * Run twice: in the seeds' zone, and across New York's fall-back hour, whose local report
 * timestamps repeat (2026-11-01 01:00–02:00 happens at -04:00, then again at -05:00).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startGateway, type RunningGateway } from '../../../gateway/listen.js'
import { openPglite } from '../../../processors/db/pglite.js'
import { keyFor, testConfig } from '../../support/gateway.js'
import { eventsOf, eventTimeOf, options, run, sentAtOf, START } from './run.js'

const SHARES = { invalid: 0.1, duplicate: 0.08, late: 0.08, skew: 0.15, missingSettlement: 0.3 }

const DAY = 86_400_000

/** What the stored row of an accepted event must show: the skew correction and the late flag (README "Time"). */
interface Stored {
  skew_ms: number
  late: boolean
  clock_skew: boolean
}

interface Answer {
  results: Array<{ index: number; event_id: string | null; status: string; code?: string }>
}

const RUNS = [
  { timeZone: 'Asia/Shanghai', startAt: START },
  { timeZone: 'America/New_York', startAt: Date.parse('2026-11-01T05:59:00.000Z') }
]

describe.each(RUNS)('generated app traffic against a real gateway in $timeZone', ({ timeZone, startAt }) => {
  let running: RunningGateway
  const keys = new Map<string, string>()
  /** By `app event_id`, filled in as the answers come. */
  const stored = new Map<string, Stored>()
  const requests = run(options({ seed: 5, users: 12, stores: ['store_a'], tablesPerStore: 2, shares: SHARES, timeZone, startAt }), 150_000)

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: requests[0]?.now ?? Date.now() })
    running = await startGateway(testConfig({ PULSEGATE_TIMEZONE: timeZone }), { db: await openPglite() })
    for (const app of ['web', 'billiards', 'finance', 'escort']) keys.set(app, await keyFor(running.gateway, 'write', app))
  })
  afterAll(async () => {
    await running.stop()
    vi.useRealTimers()
  })

  it('covers every route and outcome with a few hundred events', () => {
    const events = requests.flatMap((r) => r.truth)
    expect(events.length).toBeGreaterThan(300)
    expect(events.length).toBeLessThan(2000)
    expect(new Set(requests.map((r) => r.route))).toEqual(new Set(['/v1/batch', '/v1/track', '/api/track', '/tracking/events/batch', '/tracking/events', '/api/report', '/api/report/batch']))
    expect(new Set(events.map((t) => t.expected))).toEqual(new Set(['accepted', 'rejected', 'duplicate']))
    expect(new Set(events.flatMap((t) => t.reason ?? []))).toEqual(new Set(['required_missing', 'type_mismatch', 'bad_amount']))
  })

  it('answers every event as its truth says', async () => {
    const mismatches: unknown[] = []
    for (const r of requests) {
      vi.setSystemTime(r.now)
      const res = await fetch(`${running.httpUrl}${r.route}`, {
        method: 'POST', headers: { authorization: `Bearer ${keys.get(r.app) ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify(r.body)
      })
      expect(res.status).toBe(200)
      const answer = await res.json() as Answer
      r.truth.forEach((t, i) => {
        const got = answer.results[i]
        const eventId = t.eventId ?? (t.expected === 'rejected' ? null : got?.event_id?.startsWith('d:') === true ? got.event_id : 'a derived id')
        const want = { index: i, event_id: eventId, status: t.expected, ...(t.reason === undefined ? {} : { code: t.reason }) }
        const seen = got === undefined ? undefined : { index: got.index, event_id: got.event_id, status: got.status, ...(got.code === undefined ? {} : { code: got.code }) }
        if (JSON.stringify(seen) !== JSON.stringify(want)) mismatches.push({ route: r.route, event: t.eventName, want, seen, body: r.body })
        if (t.expected === 'accepted' && got?.event_id != null) stored.set(`${r.app} ${got.event_id}`, expectedRow(r.now, sentAtOf(r), eventTimeOf(eventsOf(r)[i] ?? {}, timeZone)))
      })
    }
    expect(mismatches).toEqual([])
  })

  it('stores every accepted event once, skew-corrected and flagged late as its times say', async () => {
    const { rows } = await running.gateway.services.db.query<{ app_id: string; event_id: string; skew_ms: number; flags: string[] }>(
      "SELECT app_id, event_id, skew_ms::int AS skew_ms, flags FROM events WHERE source = 'http'"
    )
    const seen = new Map(rows.map((r) => [`${r.app_id} ${r.event_id}`, { skew_ms: r.skew_ms, late: r.flags.includes('late'), clock_skew: r.flags.includes('clock_skew') }]))
    expect(seen).toEqual(stored)
    const values = [...stored.values()]
    expect(values.filter((v) => v.late).length).toBeGreaterThan(10)
    expect(values.filter((v) => v.clock_skew).length).toBeGreaterThan(10)
  })
})

/** Received at `now` (the faked clock): shifted when the client clock is off by over 60 s, late when still over a day old. */
function expectedRow(now: number, sentAt: number, eventTime: number): Stored {
  const skew = Math.abs(now - sentAt) > 60_000 ? now - sentAt : 0
  return { skew_ms: skew, late: now - (eventTime + skew) > DAY, clock_skew: skew !== 0 }
}
