/**
 * What only the in-process counters promise (the contract both implementations keep is in
 * counters.contract.test.ts): synchronous updates, retention by key, and localDay.
 */
import { describe, expect, it } from 'vitest'
import { localDay } from '../../../processors/realtime/counters.js'
import { defaultRealtimeMetrics } from '../../support/realtime-metrics.js'
import { createMemoryCounters } from '../../../processors/realtime/memory-counters.js'
import { canonical } from '../../support/events.js'

const zeros = { pv: 0, uv: 0, events: 0, payment_amount: 0 }

describe('in-process realtime counters', () => {
  it('hold a batch as soon as record() returns, without awaiting it (the gateway does not)', async () => {
    const counters = createMemoryCounters({ timeZone: 'UTC', metrics: defaultRealtimeMetrics() })
    const t = Date.UTC(2026, 10, 21, 12)
    const recorded = counters.record([canonical({ eventId: 'a', occurredAt: t })])
    // Read in the same tick: day() takes its values when called.
    const seen = counters.day('2026-11-21')
    await recorded
    expect(await seen).toEqual({ ...zeros, pv: 1, uv: 1, events: 1 })
  })

  it('keeps the 7 most recent local days', async () => {
    const counters = createMemoryCounters({ timeZone: 'UTC', metrics: defaultRealtimeMetrics() })
    const day = 86_400_000
    const start = Date.UTC(2026, 10, 1, 12)
    for (let i = 0; i < 9; i++) await counters.record([canonical({ eventId: `e${i}`, occurredAt: start + i * day })])
    expect(await counters.day('2026-11-02')).toEqual(zeros)
    expect(await counters.day('2026-11-03')).toEqual({ ...zeros, pv: 1, uv: 1, events: 1 })
    expect(await counters.day('2026-11-09')).toEqual({ ...zeros, pv: 1, uv: 1, events: 1 })
  })

  it('keeps the 61 most recent minutes, so a late event never evicts the present', async () => {
    const counters = createMemoryCounters({ timeZone: 'UTC', metrics: defaultRealtimeMetrics() })
    const now = Date.UTC(2026, 10, 21, 12, 0, 30)
    const minutes = Array.from({ length: 61 }, (_, i) => canonical({ eventId: `m${i}`, userId: `u${i}`, occurredAt: now - i * 60_000 }))
    await counters.record(minutes)
    // Two hours late: its minute is the oldest, so it is the one that goes.
    await counters.record([canonical({ eventId: 'late', userId: 'late', occurredAt: now - 7_200_000 })])
    expect(await counters.window('1h', now)).toEqual({ ...zeros, pv: 60, uv: 60, events: 60 })
    expect(await counters.window('1h', now - 7_200_000)).toEqual(zeros)
  })
})

describe('localDay', () => {
  it('reads local days in zones with half-hour offsets', () => {
    expect(localDay('Asia/Kolkata')(Date.UTC(2026, 10, 21, 18, 29))).toBe('2026-11-21')
    expect(localDay('Asia/Kolkata')(Date.UTC(2026, 10, 21, 18, 30))).toBe('2026-11-22')
  })

  it('agrees with Intl for every quarter hour and minute around midnights in several zones', () => {
    for (const zone of ['Asia/Shanghai', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/Berlin', 'UTC']) {
      const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      const dayOf = localDay(zone)
      // Three days across the 2026-10-25 Berlin fall-back, minute by minute.
      for (let ms = Date.UTC(2026, 9, 24); ms < Date.UTC(2026, 9, 27); ms += 60_000) {
        expect(dayOf(ms)).toBe(fmt.format(ms))
      }
    }
  })
})
