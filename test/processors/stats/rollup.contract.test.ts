import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createPartitions } from '../../../processors/maintenance/partitions-job.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { loadCatalog } from '../../../processors/stats/catalog.js'
import { periodOf } from '../../../processors/stats/periods.js'
import { dirtyDays } from '../../../processors/stats/dirty.js'
import { recomputePeriod, type StatsDeps } from '../../../processors/stats/rollup.js'
import { createEventStore } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { ensurePartitions } from '../../../processors/store/partitions.js'
import { backends } from '../../support/backends.js'
import { canonical } from '../../support/events.js'

/** Local time in UTC+8 (Asia/Shanghai has no DST) as epoch ms. */
const sh = (day: string, time: string): number => Date.parse(`${day}T${time}+08:00`)

interface Row { metric: string; period: string; period_start: string; dims: Record<string, string>; value: string | null }

describe.each(backends)('statistics rollups on %s', (_name, open) => {
  let db: Db
  let deps: StatsDeps
  let n = 0
  const ev = (name: string, at: number, over: Partial<CanonicalEvent> = {}): CanonicalEvent =>
    canonical({ eventId: `e${n++}`, eventName: name, eventTime: at, occurredAt: at, receivedAt: at, properties: {}, ...over })
  const write = async (events: CanonicalEvent[]): Promise<void> => {
    await createEventStore(db).write({ events, heartbeats: [], quarantine: [] })
  }
  const daily = async (metric: string, day: string, dims: Record<string, string> = {}, period = 'day'): Promise<number | null | undefined> => {
    const res = await db.query<Row>("SELECT value::text AS value FROM stats_daily WHERE metric = $1 AND period = $2 AND period_start = $3::date AND dims = $4::jsonb", [metric, period, day, JSON.stringify(dims)])
    const v = res.rows[0]?.value
    return v === undefined ? undefined : v === null ? null : Number(v)
  }

  beforeEach(async () => {
    db = await open()
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
    await ensurePartitions(db, 'events', Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 2))
    deps = { db, catalog: loadCatalog(), timeZone: 'Asia/Shanghai' }
  })
  afterEach(async () => { await db.close() })

  it('puts 23:59:59.999 and 00:00:00.000 local time on their own days, and each day is the sum of its hours', async () => {
    await write([
      ev('page_view', sh('2026-11-20', '23:59:59.999'), { userId: 'u1', sessionId: 's1', channel: 'wechat' }),
      ev('page_leave', sh('2026-11-21', '00:00:30.000'), { userId: 'u1', sessionId: 's1', properties: { duration: 30 } }),
      ev('page_view', sh('2026-11-21', '00:00:00.000'), { userId: 'u2', sessionId: 's2', channel: 'alipay', deviceType: 'pc' }),
      ev('page_view', sh('2026-11-21', '00:10:00.000'), { userId: 'u2', sessionId: 's2', channel: 'alipay', deviceType: 'pc' }),
      ev('page_view', sh('2026-11-21', '13:00:00.000'), { userId: 'u1', sessionId: 's3', channel: 'wechat' })
    ])
    for (const d of ['2026-11-20', '2026-11-21']) await recomputePeriod(deps, periodOf('day', d))
    expect(await daily('pv', '2026-11-20')).toBe(1)
    expect(await daily('pv', '2026-11-21')).toBe(3)
    expect(await daily('uv', '2026-11-21')).toBe(2)
    expect(await daily('pv', '2026-11-21', { channel: 'alipay' })).toBe(2)
    expect(await daily('pv', '2026-11-21', { device_type: 'pc' })).toBe(2)
    expect(await daily('uv', '2026-11-21', { user_type: 'new' })).toBe(1)
    expect(await daily('uv', '2026-11-21', { user_type: 'returning' })).toBe(1)
    // The last view of 11-20 ends with a page_leave after midnight: 30 s, counted on 11-20.
    expect(await daily('visit_seconds', '2026-11-20')).toBe(30)
    expect(await daily('av', '2026-11-20')).toBe(30)
    // u2's first view lasted until its next (600 s); the last views of sessions have none.
    expect(await daily('visit_seconds', '2026-11-21')).toBe(600)
    expect(await daily('av', '2026-11-21')).toBe(300)
    const hours = await db.query<{ hour: Date; value: string }>("SELECT hour_start AS hour, value::text AS value FROM stats_hourly WHERE metric = 'pv' AND day = '2026-11-21' AND dims = '{}' ORDER BY hour_start")
    expect(hours.rows.map((r) => [new Date(r.hour).toISOString(), Number(r.value)])).toEqual([['2026-11-20T16:00:00.000Z', 2], ['2026-11-21T05:00:00.000Z', 1]])
  })

  it('keeps local hours in a half-hour zone: Asia/Kolkata hours start at :30 UTC', async () => {
    const kolkata = { ...deps, timeZone: 'Asia/Kolkata' }
    const at = (time: string): number => Date.parse(`2026-11-21T${time}+05:30`)
    await write([
      ev('page_view', at('00:00:00.000'), { userId: 'u1' }), ev('page_view', at('00:59:59.999'), { userId: 'u2' }),
      ev('page_view', at('01:00:00.000'), { userId: 'u1' }), ev('page_view', at('23:59:59.999'), { userId: 'u3' }),
      ev('page_view', Date.parse('2026-11-20T23:59:59.999+05:30'), { userId: 'u4' })
    ])
    await recomputePeriod(kolkata, periodOf('day', '2026-11-21'))
    expect(await daily('pv', '2026-11-21')).toBe(4)
    expect(await daily('uv', '2026-11-21')).toBe(3)
    const hours = await db.query<{ hour: Date; value: string }>("SELECT hour_start AS hour, value::text AS value FROM stats_hourly WHERE metric = 'pv' AND day = '2026-11-21' AND dims = '{}' ORDER BY hour_start")
    expect(hours.rows.map((r) => [new Date(r.hour).toISOString(), Number(r.value)])).toEqual([
      ['2026-11-20T18:30:00.000Z', 2], ['2026-11-20T19:30:00.000Z', 1], ['2026-11-21T17:30:00.000Z', 1]
    ])
  })

  it('counts once-per-user metrics on the first day only, and running totals less refunds', async () => {
    await write([
      ev('real_name_verified', sh('2026-11-21', '10:00:00'), { userId: 'u1' }),
      ev('real_name_verified', sh('2026-11-22', '10:00:00'), { userId: 'u1' }),
      ev('real_name_verified', sh('2026-11-22', '11:00:00'), { userId: 'u2' }),
      ev('member_deduction', sh('2026-11-21', '10:00:00'), { properties: { amount: 1000, status: 'success' } }),
      ev('member_deduction', sh('2026-11-21', '11:00:00'), { properties: { amount: 500, status: 'failed' } }),
      ev('member_deduction', sh('2026-11-21', '12:00:00'), { properties: { amount: 700, service_type: 'goods' } }),
      ev('refund', sh('2026-11-21', '13:00:00'), { properties: { amount: 200 } }),
      ev('member_deduction', sh('2026-11-22', '09:00:00'), { properties: { amount: 300 } })
    ])
    for (const d of ['2026-11-21', '2026-11-22']) await recomputePeriod(deps, periodOf('day', d))
    expect(await daily('real_name', '2026-11-21')).toBe(1)
    expect(await daily('real_name', '2026-11-22')).toBe(1)
    expect(await daily('member_deduction_day', '2026-11-21')).toBe(1000)
    expect(await daily('deduction_day', '2026-11-21')).toBe(1700)
    expect(await daily('member_deduction_history', '2026-11-21')).toBe(800)
    expect(await daily('member_deduction_history', '2026-11-22')).toBe(1100)
    expect(await daily('total_deduction', '2026-11-22')).toBe(1800)

    // A late, earlier verification of u2 moves its first day back; 11-22 must be recomputed.
    await write([ev('real_name_verified', sh('2026-11-21', '08:00:00'), { userId: 'u2' })])
    const again = await recomputePeriod(deps, periodOf('day', '2026-11-21'))
    expect(again.moved).toEqual(['2026-11-22'])
    expect(await dirtyDays(db)).toEqual(['2026-11-22'])
    expect(await daily('real_name', '2026-11-21')).toBe(2)
    await recomputePeriod(deps, periodOf('day', '2026-11-22'))
    expect(await daily('real_name', '2026-11-22')).toBe(0)
    expect(await dirtyDays(db)).toEqual([])
    // Recomputing changes nothing: the same rows.
    const before = await db.query('SELECT metric, period, period_start::text, dims, value::text FROM stats_daily ORDER BY 1, 2, 3, 4::text')
    await recomputePeriod(deps, periodOf('day', '2026-11-21'))
    await recomputePeriod(deps, periodOf('day', '2026-11-22'))
    expect((await db.query('SELECT metric, period, period_start::text, dims, value::text FROM stats_daily ORDER BY 1, 2, 3, 4::text')).rows).toEqual(before.rows)
  })

  it('computes weeks and months from their own events: unique counts are not sums of days', async () => {
    await write([
      ev('page_view', sh('2026-11-16', '10:00:00'), { userId: 'u1' }),
      ev('page_view', sh('2026-11-17', '10:00:00'), { userId: 'u1' }),
      ev('page_view', sh('2026-11-22', '23:00:00'), { userId: 'u2' }),
      ev('page_view', sh('2026-11-23', '00:00:00'), { userId: 'u3' }),
      ev('reservation_create', sh('2026-11-16', '10:00:00'), { properties: { reservation_id: 'r1', table_id: 't1' } }),
      ev('reservation_create', sh('2026-11-16', '11:00:00'), { properties: { reservation_id: 'r2', table_id: 't1' } }),
      ev('session_start', sh('2026-11-17', '09:00:00'), { sessionId: 'x1', properties: { reservation_id: 'r1', table_id: 't1' } }),
      ev('session_end_request', sh('2026-11-17', '10:30:00'), { sessionId: 'x1', properties: { table_id: 't1' } })
    ])
    await recomputePeriod(deps, periodOf('week', '2026-11-18'))
    await recomputePeriod(deps, periodOf('month', '2026-11-18'))
    await recomputePeriod(deps, periodOf('day', '2026-11-16'))
    await recomputePeriod(deps, periodOf('day', '2026-11-17'))
    expect(await daily('uv', '2026-11-16', {}, 'week')).toBe(2)
    expect(await daily('pv', '2026-11-16', {}, 'week')).toBe(3)
    expect(await daily('uv', '2026-11-01', {}, 'month')).toBe(3)
    expect(await daily('reservations_converted', '2026-11-16')).toBe(1)
    expect(await daily('reservation_conversion', '2026-11-16')).toBe(0.5)
    expect(await daily('played_minutes', '2026-11-17')).toBe(90)
  })

  it('table utilization: played minutes over tables × open minutes, per store and for all', async () => {
    await db.query(`INSERT INTO stores (store_id, time_zone, opening_hours) VALUES
      ('shop-1', 'Asia/Shanghai', '[{"rrule": "FREQ=DAILY;BYHOUR=10;BYMINUTE=0;BYSECOND=0", "duration": "PT12H", "tzid": "Asia/Shanghai"}]'),
      ('shop-2', 'Asia/Shanghai', '[]')`)
    await db.query(`INSERT INTO devices (device_id, store_id, table_id, secret_digest, secret_prefix, enabled) VALUES
      ('d1', 'shop-1', 't1', 'x', 'x', true), ('d2', 'shop-1', 't2', 'x', 'x', true), ('d3', 'shop-1', 't2', 'x', 'x', true),
      ('d4', 'shop-1', 't3', 'x', 'x', false), ('d5', 'shop-2', 't1', 'x', 'x', true)`)
    await write([
      ev('session_start', sh('2026-11-17', '11:00:00'), { storeId: 'shop-1', sessionId: 'x1', properties: { table_id: 't1' } }),
      ev('session_end_request', sh('2026-11-17', '12:30:00'), { storeId: 'shop-1', sessionId: 'x1', properties: {} }),
      ev('session_start', sh('2026-11-17', '20:00:00'), { storeId: 'shop-2', sessionId: 'x2', properties: { table_id: 't1' } }),
      ev('session_end_request', sh('2026-11-17', '20:36:00'), { storeId: 'shop-2', sessionId: 'x2', properties: {} })
    ])
    await recomputePeriod(deps, periodOf('day', '2026-11-17'))
    // shop-1: 2 enabled tables × 720 open minutes; shop-2: 1 table, always open (1,440 minutes).
    expect(await daily('table_utilization', '2026-11-17', { store: 'shop-1' })).toBe(0.0625)
    expect(await daily('table_utilization', '2026-11-17', { store: 'shop-2' })).toBe(0.025)
    expect(await daily('table_utilization', '2026-11-17')).toBe(Math.round((126 / 2880) * 1e6) / 1e6)
  })
})
