import { describe, expect, it } from 'vitest'
import { openMinutes } from '../../../processors/stats/capacity.js'

const b = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) })

describe('open minutes of a store in a period', () => {
  it('counts the whole period without opening hours, 25 hours on the day New York leaves daylight time', () => {
    expect(openMinutes([], b('2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'))).toBe(1500)
  })

  it('counts each opening within the period, cut at its edges, overnight ones included', () => {
    const lateNight = [{ rrule: 'FREQ=DAILY;BYHOUR=18;BYMINUTE=0;BYSECOND=0', duration: 'PT10H', tzid: 'Asia/Shanghai' }]
    // 2026-11-17 in Shanghai: open 00:00–04:00 (from the 16th) and 18:00–24:00: 600 minutes.
    expect(openMinutes(lateNight, b('2026-11-16T16:00:00Z', '2026-11-17T16:00:00Z'))).toBe(600)
  })

  it('follows wall-clock hours across a DST change', () => {
    const berlin = [{ rrule: 'FREQ=DAILY;BYHOUR=10;BYMINUTE=0;BYSECOND=0', duration: 'PT12H', tzid: 'Europe/Berlin' }]
    // 2026-10-25 in Berlin has 25 hours; the shop still opens 10:00–22:00 local: 720 minutes.
    expect(openMinutes(berlin, b('2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'))).toBe(720)
  })
})
