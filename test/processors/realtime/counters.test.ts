import { describe, expect, it } from 'vitest'
import { createMemoryCounters, localDay } from '../../../processors/realtime/counters.js'
import { canonical } from '../../support/events.js'

describe('in-process realtime counters', () => {
  it('counts committed events per local day and distinct users (user id, else device id)', async () => {
    const counters = createMemoryCounters('Asia/Shanghai')
    // 2026-11-21T16:30Z is already 2026-11-22 00:30 in UTC+8.
    const t = Date.UTC(2026, 10, 21, 16, 30)
    counters.record([
      canonical({ eventId: 'a', occurredAt: t, userId: 'u1' }),
      canonical({ eventId: 'b', occurredAt: t, userId: 'u1' }),
      canonical({ eventId: 'c', occurredAt: t, userId: null, deviceId: 'd1', eventName: 'qr_scan' }),
      canonical({ eventId: 'd', occurredAt: t - 3_600_000, userId: 'u2' })
    ])
    expect(await counters.snapshot('2026-11-22')).toEqual({ day: '2026-11-22', events: { page_view: 2, qr_scan: 1 }, uniqueUsers: 2 })
    expect(await counters.snapshot('2026-11-21')).toEqual({ day: '2026-11-21', events: { page_view: 1 }, uniqueUsers: 1 })
    expect(await counters.snapshot('2026-11-20')).toEqual({ day: '2026-11-20', events: {}, uniqueUsers: 0 })
  })

  it('keeps the last 7 days only', async () => {
    const counters = createMemoryCounters('UTC')
    const day = 86_400_000
    const start = Date.UTC(2026, 10, 1, 12)
    for (let i = 0; i < 9; i++) counters.record([canonical({ eventId: `e${i}`, occurredAt: start + i * day })])
    expect((await counters.snapshot('2026-11-02')).events).toEqual({})
    expect((await counters.snapshot('2026-11-03')).events).toEqual({ page_view: 1 })
    expect((await counters.snapshot('2026-11-09')).events).toEqual({ page_view: 1 })
  })

  it('reads local days in zones with half-hour offsets', () => {
    expect(localDay('Asia/Kolkata')(Date.UTC(2026, 10, 21, 18, 29))).toBe('2026-11-21')
    expect(localDay('Asia/Kolkata')(Date.UTC(2026, 10, 21, 18, 30))).toBe('2026-11-22')
  })
})

describe('localDay', () => {
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
