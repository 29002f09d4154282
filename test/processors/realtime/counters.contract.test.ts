/**
 * The contract every realtime counters implementation keeps (STYLE §5): the same suite runs
 * against the in-process counters and against Redis (the test run's real server, each test
 * under a key prefix of its own).
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, inject, it } from 'vitest'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import type { CountersOptions, RealtimeCounters } from '../../../processors/realtime/counters.js'
import { defaultRealtimeMetrics } from '../../support/realtime-metrics.js'
import { createMemoryCounters } from '../../../processors/realtime/memory-counters.js'
import { createRedisCounters } from '../../../processors/realtime/redis-counters.js'
import type { RealtimeMetric } from '../../../processors/stats/realtime-metric.js'
import { canonical } from '../../support/events.js'

type Make = (opts: CountersOptions) => RealtimeCounters

const implementations: [string, Make][] = [
  ['in-process', (opts) => createMemoryCounters(opts)],
  ['Redis', (opts) => createRedisCounters({ ...opts, url: inject('redisUrl'), keyPrefix: `test:rt:${randomUUID()}:` })]
]

const zeros = { pv: 0, uv: 0, events: 0, payment_amount: 0 }
const MINUTE = 60_000

let seq = 0
/** A committed event; a fresh id each time, page_view by u1 unless overridden. */
const ev = (over: Partial<CanonicalEvent>): CanonicalEvent => canonical({ eventId: `e${++seq}`, ...over })
const pay = (occurredAt: number, amount: unknown): CanonicalEvent =>
  ev({ eventName: 'payment_success', occurredAt, properties: { amount } })

describe.each(implementations)('realtime counters contract: %s', (_name, make) => {
  const open: RealtimeCounters[] = []
  const build = (over: Partial<CountersOptions> = {}): RealtimeCounters => {
    const counters = make({ timeZone: 'Asia/Shanghai', metrics: defaultRealtimeMetrics(), ...over })
    open.push(counters)
    return counters
  }
  afterEach(async () => { await Promise.all(open.splice(0).map((c) => c.close())) })

  it('counts, sums and uniques per local day, split exactly at midnight in Asia/Shanghai', async () => {
    const counters = build()
    const midnight = Date.UTC(2026, 10, 21, 16) // 2026-11-22 00:00:00.000 in UTC+8
    await counters.record([
      ev({ occurredAt: midnight - 1, userId: 'u1' }),
      ev({ occurredAt: midnight - 1, userId: 'u2' }),
      pay(midnight - 1, 1999),
      ev({ occurredAt: midnight, userId: 'u1' }),
      ev({ occurredAt: midnight, userId: 'u1' }),
      // No user id: the device counts as the visitor; neither: a view without a visitor.
      ev({ occurredAt: midnight + 1_000, userId: null, deviceId: 'd1' }),
      ev({ occurredAt: midnight + 1_000, userId: null, deviceId: null }),
      ev({ occurredAt: midnight, eventName: 'qr_scan', userId: 'u3' }),
      pay(midnight, 1),
      // Not integer minor units: the default metric ignores them rather than add a float.
      pay(midnight, 12.5),
      pay(midnight, '300')
    ])
    expect({
      '2026-11-20': await counters.day('2026-11-20'),
      '2026-11-21': await counters.day('2026-11-21'),
      '2026-11-22': await counters.day('2026-11-22'),
      errors: counters.errors()
    }).toEqual({
      '2026-11-20': zeros,
      '2026-11-21': { pv: 2, uv: 2, events: 3, payment_amount: 1999 },
      '2026-11-22': { pv: 4, uv: 2, events: 8, payment_amount: 1 },
      errors: 0
    })
  })

  it('splits days at local midnight in a half-hour zone (Asia/Kolkata)', async () => {
    const counters = build({ timeZone: 'Asia/Kolkata' })
    const midnight = Date.UTC(2026, 10, 21, 18, 30) // 2026-11-22 00:00 in UTC+5:30
    await counters.record([ev({ occurredAt: midnight - 1, userId: 'u1' }), ev({ occurredAt: midnight, userId: 'u2' }), ev({ occurredAt: midnight, userId: 'u3' })])
    expect([await counters.day('2026-11-21'), await counters.day('2026-11-22')])
      .toEqual([{ ...zeros, pv: 1, uv: 1, events: 1 }, { ...zeros, pv: 2, uv: 2, events: 2 }])
  })

  it('adds up across record() calls: a returning user counts once, large sums stay exact integers', async () => {
    const counters = build({ timeZone: 'UTC' })
    const t = Date.UTC(2026, 10, 21, 9)
    const big = 999_999_999_999 // minor units, far past 32 bits: Redis INCRBY is 64-bit
    for (let i = 0; i < 3; i++) await counters.record([ev({ occurredAt: t + i, userId: 'u1' }), pay(t + i, big)])
    expect(await counters.day('2026-11-21')).toEqual({ pv: 3, uv: 1, events: 6, payment_amount: 3 * big })
  })

  it('counts rolling windows by whole minutes of occurredAt: 1m, 5m, 1h', async () => {
    const counters = build()
    const minute = Date.UTC(2026, 10, 21, 12, 0)
    const now = minute + 30_000
    await counters.record([
      ev({ occurredAt: now, userId: 'u1' }),
      ev({ occurredAt: minute, userId: 'u2' }),
      ev({ occurredAt: minute - 1, userId: 'u1' }), // the minute before
      ev({ occurredAt: minute - 4 * MINUTE, userId: 'u3' }), // the 5th minute back: in 5m
      ev({ occurredAt: minute - 4 * MINUTE - 1, userId: 'u4' }), // the 6th: out of 5m
      pay(minute - 30 * MINUTE, 250),
      ev({ occurredAt: minute - 59 * MINUTE, userId: 'u5' }), // the 60th: in 1h
      ev({ occurredAt: minute - 59 * MINUTE - 1, userId: 'u6' }), // the 61st: out
      ev({ occurredAt: minute + MINUTE, userId: 'u7' }) // after the window's end
    ])
    expect({
      '1m': await counters.window('1m', now),
      '5m': await counters.window('5m', now),
      '1h': await counters.window('1h', now)
    }).toEqual({
      '1m': { pv: 2, uv: 2, events: 2, payment_amount: 0 },
      '5m': { pv: 4, uv: 3, events: 4, payment_amount: 0 },
      '1h': { pv: 6, uv: 5, events: 7, payment_amount: 250 }
    })
  })

  it('ends a window at the current time by default', async () => {
    const counters = build()
    await counters.record([ev({ occurredAt: Date.now(), userId: 'now' })])
    expect(await counters.window('5m')).toEqual({ ...zeros, pv: 1, uv: 1, events: 1 })
  })

  it('counts about 20,000 identities within 2.5 % (HyperLogLog), per day and over a window', async () => {
    const counters = build({ timeZone: 'UTC' })
    const start = Date.UTC(2026, 10, 21, 10)
    const users = 20_000
    // Each user twice, in batches of 1,000, spread over the hour's 60 minutes.
    for (let b = 0; b < 2 * users / 1_000; b++) {
      await counters.record(Array.from({ length: 1_000 }, (_, i) => {
        const n = (b * 1_000 + i) % users
        return ev({ occurredAt: start + (n % 60) * MINUTE, userId: `user-${n}` })
      }))
    }
    const day = await counters.day('2026-11-21')
    const hour = await counters.window('1h', start + 59 * MINUTE)
    expect({ ...day, uv: 0 }).toEqual({ ...zeros, pv: 2 * users, events: 2 * users })
    expect({ ...hour, uv: 0 }).toEqual({ ...zeros, pv: 2 * users, events: 2 * users })
    expect(Math.abs(day.uv as number - users) / users).toBeLessThanOrEqual(0.025)
    expect(Math.abs(hour.uv as number - users) / users).toBeLessThanOrEqual(0.025)
  })

  it('counts a metric that throws or gives a non-integer sum as one error, and still counts the rest', async () => {
    const errors: Error[] = []
    const metrics: RealtimeMetric[] = [
      { name: 'pv', kind: 'count', matches: (e) => e.eventName === 'page_view', value: () => null },
      { name: 'float_sum', kind: 'sum', matches: () => true, value: () => 1.5 },
      { name: 'throws', kind: 'count', matches: () => { throw new Error('bad filter') }, value: () => null }
    ]
    const counters = build({ timeZone: 'UTC', metrics, onError: (err) => errors.push(err) })
    const recorded = counters.record([ev({ occurredAt: Date.UTC(2026, 10, 21) }), ev({ occurredAt: Date.UTC(2026, 10, 21) })])
    await expect(recorded).resolves.toBeUndefined()
    expect({ day: await counters.day('2026-11-21'), errors: counters.errors(), told: errors.length })
      .toEqual({ day: { pv: 2, float_sum: 0, throws: 0 }, errors: 1, told: 1 })
  })

  it('takes an empty batch and reads zeros for every metric where nothing was counted', async () => {
    const counters = build()
    await counters.record([])
    expect([await counters.day('2026-11-22'), await counters.window('1h', Date.UTC(2026, 10, 21)), counters.errors()])
      .toEqual([zeros, zeros, 0])
  })
})
