import { describe, expect, it } from 'vitest'
import {
  DAILY_0200, HOURLY_AT_05, MONTHLY_1ST_0400, WEEKLY_MON_0300, parseSchedule
} from '../../../processors/jobs/schedule.js'

/** ISO instants in (after, until] for `rule` read in `zone`. */
function between(rule: string, zone: string, after: string, until: string, limit = 1000): string[] {
  return parseSchedule(rule, zone).occurrencesBetween(new Date(after), new Date(until), limit).map((d) => d.toISOString())
}

/** `count` instants `stepMs` apart from `first`: DST days are plain runs of UTC hours. */
function series(first: string, count: number, stepMs: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.parse(first) + i * stepMs).toISOString())
}

const HOUR = 3_600_000

describe('standard schedules in Asia/Shanghai (UTC+8, the default zone)', () => {
  it('HOURLY_AT_05 runs at :05 of every local hour', () => {
    expect(between(HOURLY_AT_05, 'Asia/Shanghai', '2024-05-10T00:00:00Z', '2024-05-10T04:00:00Z')).toEqual([
      '2024-05-10T00:05:00.000Z', '2024-05-10T01:05:00.000Z', '2024-05-10T02:05:00.000Z', '2024-05-10T03:05:00.000Z'
    ])
  })

  it('DAILY_0200 runs at 02:00 local, 18:00 UTC the day before', () => {
    expect(between(DAILY_0200, 'Asia/Shanghai', '2024-05-08T00:00:00Z', '2024-05-11T00:00:00Z')).toEqual([
      '2024-05-08T18:00:00.000Z', '2024-05-09T18:00:00.000Z', '2024-05-10T18:00:00.000Z'
    ])
  })

  it('WEEKLY_MON_0300 runs on Mondays at 03:00 local', () => {
    expect(between(WEEKLY_MON_0300, 'Asia/Shanghai', '2024-05-01T00:00:00Z', '2024-05-22T00:00:00Z')).toEqual([
      '2024-05-05T19:00:00.000Z', '2024-05-12T19:00:00.000Z', '2024-05-19T19:00:00.000Z'
    ])
  })

  it('MONTHLY_1ST_0400 runs on the 1st at 04:00 local, across a leap February', () => {
    expect(between(MONTHLY_1ST_0400, 'Asia/Shanghai', '2023-12-15T00:00:00Z', '2024-04-15T00:00:00Z')).toEqual([
      '2023-12-31T20:00:00.000Z', '2024-01-31T20:00:00.000Z', '2024-02-29T20:00:00.000Z', '2024-03-31T20:00:00.000Z'
    ])
  })
})

describe('a half-hour zone (Asia/Kolkata, UTC+5:30)', () => {
  it('HOURLY_AT_05 lands on :35 UTC', () => {
    expect(between(HOURLY_AT_05, 'Asia/Kolkata', '2024-05-10T00:00:00Z', '2024-05-10T03:00:00Z')).toEqual([
      '2024-05-10T00:35:00.000Z', '2024-05-10T01:35:00.000Z', '2024-05-10T02:35:00.000Z'
    ])
  })

  it('DAILY_0200 runs at 20:30 UTC the day before', () => {
    expect(between(DAILY_0200, 'Asia/Kolkata', '2024-05-08T00:00:00Z', '2024-05-10T00:00:00Z')).toEqual([
      '2024-05-08T20:30:00.000Z', '2024-05-09T20:30:00.000Z'
    ])
  })
})

describe('America/New_York DST changes (2024-03-10 spring forward, 2024-11-03 fall back)', () => {
  const DAILY_0230 = 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0'
  const DAILY_0130 = 'FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0'

  it('a daily 02:30 skipped by spring forward runs at 03:00 EDT, the first instant after the gap', () => {
    expect(between(DAILY_0230, 'America/New_York', '2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z')).toEqual([
      '2024-03-09T07:30:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-11T06:30:00.000Z'
    ])
  })

  it('a daily 01:30 repeated by fall back runs once, at its first (EDT) occurrence', () => {
    expect(between(DAILY_0130, 'America/New_York', '2024-11-02T00:00:00Z', '2024-11-05T00:00:00Z')).toEqual([
      '2024-11-02T05:30:00.000Z', '2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z'
    ])
  })

  it('an hourly job runs 23 times on the spring-forward day (02:05 does not exist)', () => {
    const day = between(HOURLY_AT_05, 'America/New_York', '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z')
    expect(day).toEqual(series('2024-03-10T05:05:00.000Z', 23, HOUR))
  })

  it('an hourly job runs 25 times on the fall-back day (01:05 EDT and 01:05 EST)', () => {
    const day = between(HOURLY_AT_05, 'America/New_York', '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z')
    expect(day).toEqual(series('2024-11-03T04:05:00.000Z', 25, HOUR))
  })

  it('half-hourly runs through the repeated hour in time order', () => {
    const rule = 'FREQ=HOURLY;BYMINUTE=0,30;BYSECOND=0'
    expect(between(rule, 'America/New_York', '2024-11-03T04:00:00Z', '2024-11-03T08:00:00Z'))
      .toEqual(series('2024-11-03T04:30:00.000Z', 8, HOUR / 2))
  })

  it('an hourly rule that pins its hours follows wall-clock rules: gap → 03:00, repeat → once', () => {
    const rule = 'FREQ=HOURLY;BYHOUR=1,2,3;BYMINUTE=30;BYSECOND=0'
    expect({
      spring: between(rule, 'America/New_York', '2024-03-10T05:00:00Z', '2024-03-10T12:00:00Z'),
      fall: between(rule, 'America/New_York', '2024-11-03T04:00:00Z', '2024-11-03T12:00:00Z')
    }).toEqual({
      spring: ['2024-03-10T06:30:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-10T07:30:00.000Z'],
      fall: ['2024-11-03T05:30:00.000Z', '2024-11-03T07:30:00.000Z', '2024-11-03T08:30:00.000Z']
    })
  })
})

describe('Europe/Berlin DST changes (2024-03-31 spring forward, 2024-10-27 fall back)', () => {
  const DAILY_0230 = 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0'

  it('a daily 02:30 runs at 03:00 CEST on the spring-forward day', () => {
    expect(between(DAILY_0230, 'Europe/Berlin', '2024-03-30T00:00:00Z', '2024-04-02T00:00:00Z')).toEqual([
      '2024-03-30T01:30:00.000Z', '2024-03-31T01:00:00.000Z', '2024-04-01T00:30:00.000Z'
    ])
  })

  it('a daily 02:30 runs once, at 02:30 CEST, on the fall-back day', () => {
    expect(between(DAILY_0230, 'Europe/Berlin', '2024-10-26T00:00:00Z', '2024-10-29T00:00:00Z')).toEqual([
      '2024-10-26T00:30:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z'
    ])
  })

  it('an hourly job runs 23 and 25 times on the two DST days', () => {
    expect({
      spring: between(HOURLY_AT_05, 'Europe/Berlin', '2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z'),
      fall: between(HOURLY_AT_05, 'Europe/Berlin', '2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z')
    }).toEqual({
      spring: series('2024-03-30T23:05:00.000Z', 23, HOUR),
      fall: series('2024-10-26T22:05:00.000Z', 25, HOUR)
    })
  })

  // rrule 2.8's own tzid support gives 2024-03-30T23:30Z (00:30 CET) here when the process runs in UTC.
  it('regression: a daily 01:30 on the spring-forward day is 00:30 UTC whatever the process zone', () => {
    const saved = process.env.TZ
    const results: string[][] = []
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Shanghai']) {
        process.env.TZ = tz
        results.push(between('FREQ=DAILY;BYHOUR=1;BYMINUTE=30', 'Europe/Berlin', '2024-03-30T12:00:00Z', '2024-04-01T12:00:00Z'))
      }
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
    const expected = ['2024-03-31T00:30:00.000Z', '2024-03-31T23:30:00.000Z']
    expect(results).toEqual([expected, expected, expected])
  })
})

describe('window queries', () => {
  const daily = parseSchedule(DAILY_0200, 'Asia/Shanghai')
  const at = new Date('2024-05-09T18:00:00Z')
  const shift = (d: Date, ms: number): Date => new Date(d.getTime() + ms)

  it('next() is strictly after; previous() is at or before', () => {
    expect({
      nextFromInstant: daily.next(at),
      nextFromJustBefore: daily.next(shift(at, -1)),
      previousAtInstant: daily.previous(at),
      previousJustBefore: daily.previous(shift(at, -1))
    }).toEqual({
      nextFromInstant: new Date('2024-05-10T18:00:00Z'),
      nextFromJustBefore: at,
      previousAtInstant: at,
      previousJustBefore: new Date('2024-05-08T18:00:00Z')
    })
  })

  it('occurrencesBetween excludes `after`, includes `until` and honours the limit', () => {
    const list = (after: Date, until: Date, limit: number): string[] =>
      daily.occurrencesBetween(after, until, limit).map((d) => d.toISOString())
    expect({
      edges: list(at, shift(at, 2 * 24 * HOUR), 10),
      limited: list(shift(at, -1), shift(at, 5 * 24 * HOUR), 2),
      none: list(at, shift(at, 24 * HOUR - 1), 10)
    }).toEqual({
      edges: ['2024-05-10T18:00:00.000Z', '2024-05-11T18:00:00.000Z'],
      limited: ['2024-05-09T18:00:00.000Z', '2024-05-10T18:00:00.000Z'],
      none: []
    })
  })

  it('latestBetween keeps the newest instants and counts the skipped ones', () => {
    const hourly = parseSchedule(HOURLY_AT_05, 'Asia/Shanghai')
    const { instants, skipped } = hourly.latestBetween(new Date('2024-05-10T00:00:00Z'), new Date('2024-05-10T10:00:00Z'), 3)
    expect({ instants: instants.map((d) => d.toISOString()), skipped }).toEqual({
      instants: ['2024-05-10T07:05:00.000Z', '2024-05-10T08:05:00.000Z', '2024-05-10T09:05:00.000Z'],
      skipped: 7
    })
  })

  it('previous() and next() reach far: monthly from mid-month, yearly Feb 29', () => {
    const monthly = parseSchedule(MONTHLY_1ST_0400, 'Asia/Shanghai')
    const leap = parseSchedule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'UTC')
    expect({
      previous: monthly.previous(new Date('2024-05-20T00:00:00Z')),
      next: leap.next(new Date('2024-03-01T00:00:00Z'))
    }).toEqual({ previous: new Date('2024-04-30T20:00:00Z'), next: new Date('2028-02-29T00:00:00Z') })
  })

  it('fields a rule leaves out default to the start of its period, as in cron', () => {
    expect({
      daily: between('FREQ=DAILY', 'Asia/Shanghai', '2024-05-10T00:00:00Z', '2024-05-11T00:00:00Z'),
      monthly: between('FREQ=MONTHLY', 'UTC', '2024-05-10T00:00:00Z', '2024-07-10T00:00:00Z')
    }).toEqual({
      daily: ['2024-05-10T16:00:00.000Z'],
      monthly: ['2024-06-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z']
    })
  })

  it('INTERVAL counts from a fixed anchor, so every query agrees on which days are on', () => {
    const everyOther = parseSchedule('FREQ=DAILY;INTERVAL=2;BYHOUR=12', 'UTC')
    const from = (iso: string): string | undefined => everyOther.next(new Date(iso))?.toISOString()
    // 2000-01-03 is an "on" day; 2024-05-10 is 8894 days later, an even number.
    expect([from('2024-05-09T13:00:00Z'), from('2024-05-10T13:00:00Z'), from('2024-05-11T13:00:00Z')])
      .toEqual(['2024-05-10T12:00:00.000Z', '2024-05-12T12:00:00.000Z', '2024-05-12T12:00:00.000Z'])
  })
})

describe('parseSchedule rejects what it cannot honour', () => {
  it.each([
    ['COUNT', 'FREQ=DAILY;COUNT=3', /COUNT not supported/],
    ['DTSTART', 'DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY', /DTSTART not supported/],
    ['no FREQ', 'BYHOUR=2', /FREQ is required/]
  ])('%s', (_name, rule, message) => {
    expect(() => parseSchedule(rule, 'UTC')).toThrow(message)
  })

  it('an unknown zone', () => {
    expect(() => parseSchedule(DAILY_0200, 'Mars/Olympus_Mons')).toThrow(RangeError)
  })

  it('accepts the RRULE: prefix', () => {
    expect(between(`RRULE:${DAILY_0200}`, 'UTC', '2024-05-10T00:00:00Z', '2024-05-11T00:00:00Z'))
      .toEqual(['2024-05-10T02:00:00.000Z'])
  })
})
