/**
 * The statistics' own checks, end to end on the embedded gateway: today's events through the
 * HTTP API, counted by the realtime counters as they commit; the day recomputed; the checks
 * agree — until a row reaches the store behind the counters' back, which the realtime check
 * reports in /metrics. The counters of a restarted gateway are rebuilt from the store.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { checkDay } from '../../processors/stats/checks.js'
import { localDate, periodOf } from '../../processors/stats/periods.js'
import { recomputePeriod } from '../../processors/stats/rollup.js'
import { createEventStore } from '../../processors/store/event-store.js'
import { canonical } from '../support/events.js'
import { keyFor, parseMetrics, testConfig } from '../support/gateway.js'
import { redisRawCommand, startRedis } from '../support/services.js'

const TZ = 'Asia/Shanghai'

describe('statistics checks', () => {
  const gateways: Gateway[] = []
  afterEach(async () => { await Promise.all(gateways.splice(0).map((g) => g.close())) })

  async function send(gw: Gateway, n: number, prefix: string): Promise<void> {
    const key = await keyFor(gw, 'write', 'web')
    const now = Date.now()
    const events = Array.from({ length: n }, (_, i) => ({
      event_id: `${prefix}-${i}`, event_name: i % 3 === 0 ? 'member_deduction' : 'page_view', user_id: `u${i % 7}`,
      event_time: new Date(now - 1000 - i).toISOString(), properties: i % 3 === 0 ? { amount: 100 + i } : { page: '/p' }
    }))
    const res = await gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${key}` }, payload: { events } })
    expect(res.statusCode).toBe(200)
  }

  it('days equal their hours and the realtime counters agree, until the store gets a row the counters never saw', async () => {
    const gw = await buildGateway(testConfig({ PULSEGATE_TIMEZONE: TZ }), { db: await openPglite() })
    gateways.push(gw)
    await send(gw, 60, 'a')
    const today = localDate(Date.now(), TZ)
    const stats = gw.services.stats
    await recomputePeriod(stats, periodOf('day', today))
    const ok = await checkDay(stats, today, (d) => gw.services.counters.day(d))
    expect(ok.hourMismatches).toEqual([])
    const byName = Object.fromEntries(ok.realtime.map((r) => [r.metric, [r.realtime, r.computed, r.ok]]))
    // 60 events: 20 member deductions of 100 + i (i = 0, 3, … 57), 40 page views by 7 users.
    expect({ pv: byName.pv, uv: byName.uv, md: byName.member_deduction_day }).toEqual({ pv: [40, 40, true], uv: [7, 7, true], md: [2570, 2570, true] })
    expect(ok.realtime.every((r) => r.ok)).toBe(true)

    // A page view written straight to the store: the computed PV is one more than the counter.
    await createEventStore(gw.services.db).write({ events: [canonical({ appId: 'web', eventId: 'behind', eventName: 'page_view', eventTime: Date.now() - 500, occurredAt: Date.now() - 500, receivedAt: Date.now() })], heartbeats: [], quarantine: [] })
    await recomputePeriod(stats, periodOf('day', today))
    const off = await checkDay(stats, today, (d) => gw.services.counters.day(d))
    stats.observe?.checked(off)
    expect(off.realtime.find((r) => r.metric === 'pv')).toMatchObject({ realtime: 40, computed: 41, ok: false })
    const metrics = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(metrics.get('pulsegate_stats_realtime_mismatches')).toBe(1)
    expect(metrics.get('pulsegate_stats_hour_sum_mismatches')).toBe(0)
    expect(metrics.get('pulsegate_stats_realtime_deviation_ratio{metric="pv"}')).toBeCloseTo(1 / 41, 9)
  }, 60_000)

  it('a restarted embedded gateway rebuilds today\'s counters from the store', async () => {
    const db = await openPglite()
    const first = await buildGateway(testConfig({ PULSEGATE_TIMEZONE: TZ }), { db })
    await send(first, 30, 'b')
    const today = localDate(Date.now(), TZ)
    const before = await first.services.counters.day(today)
    expect(before.pv).toBe(20)
    await first.http.close()
    const second = await buildGateway(testConfig({ PULSEGATE_TIMEZONE: TZ }), { db })
    gateways.push(second)
    let after: Record<string, number> = {}
    for (let i = 0; i < 100 && after.pv !== 20; i++) {
      after = await second.services.counters.day(today)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(after).toEqual(before)
  }, 60_000)

  it('with PULSEGATE_REDIS_URL the counters live in Redis: a second gateway on the same Redis sees the first one\'s counts', async () => {
    const redis = await startRedis()
    try {
      const config = (): ReturnType<typeof testConfig> => testConfig({ PULSEGATE_TIMEZONE: TZ, PULSEGATE_REDIS_URL: redis.url })
      const first = await buildGateway(config(), { db: await openPglite() })
      gateways.push(first)
      await send(first, 30, 'c')
      const today = localDate(Date.now(), TZ)
      let counted: Record<string, number> = {}
      for (let i = 0; i < 100 && counted.pv !== 20; i++) {
        counted = await first.services.counters.day(today)
        await new Promise((r) => setTimeout(r, 20))
      }
      expect({ pv: counted.pv, uv: counted.uv }).toEqual({ pv: 20, uv: 7 })
      // Day and minute keys of each realtime metric that counted something.
      expect(Number((await redisRawCommand(redis.url, 'DBSIZE')).slice(1))).toBeGreaterThan(4)
      const second = await buildGateway(config(), { db: await openPglite() })
      gateways.push(second)
      expect((await second.services.counters.day(today)).pv).toBe(20)
    } finally {
      await Promise.all(gateways.splice(0).map((g) => g.close()))
      await redis.stop()
    }
  }, 60_000)
})

describe('statistics on the embedded store', () => {
  it('a long recomputation does not hold the one connection: a batch sent meanwhile is acknowledged before it ends', async () => {
    const db = await openPglite()
    const gw = await buildGateway(testConfig({ PULSEGATE_TIMEZONE: TZ }), { db })
    try {
      const today = localDate(Date.now(), TZ)
      const days = [1, 2, 3].map((n) => localDate(Date.now() - n * 86_400_000, TZ))
      // 6,000 page views on each of three days, straight into the store.
      for (const d of days) {
        const noon = Date.parse(`${d}T12:00:00+08:00`)
        const events = Array.from({ length: 6000 }, (_, i) => canonical({ appId: 'web', eventId: `${d}-${i}`, eventName: 'page_view', userId: `u${i % 500}`, sessionId: `s${i % 800}`, eventTime: noon + i * 1000, occurredAt: noon + i * 1000, receivedAt: Date.now() }))
        await createEventStore(db).write({ events, heartbeats: [], quarantine: [] })
      }
      const admin = await keyFor(gw, 'admin')
      const write = await keyFor(gw, 'write', 'web')
      const url = await gw.http.listen({ port: 0, host: '127.0.0.1' })
      const order: string[] = []
      const res = await fetch(`${url}/v1/admin/stats/recompute`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ from: days[2], to: days[0] }) })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      let text = ''
      let batch: Promise<void> | undefined
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        text += new TextDecoder().decode(value)
        if (batch === undefined && text.includes('"done":1')) {
          order.push('first day recomputed')
          batch = fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${write}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [{ event_id: 'meanwhile', event_name: 'page_view', user_id: 'u', event_time: new Date().toISOString(), properties: {} }] }) })
            .then((r) => { expect(r.status).toBe(200); order.push('batch acknowledged') })
        }
      }
      order.push('recompute finished')
      await batch
      expect(text.trim().split('\n').at(-1)).toMatch(/"done":true/)
      expect(order).toEqual(['first day recomputed', 'batch acknowledged', 'recompute finished'])
      expect(today > (days[0] as string)).toBe(true)
    } finally {
      await gw.http.close()
      await gw.close()
    }
  }, 120_000)
})
