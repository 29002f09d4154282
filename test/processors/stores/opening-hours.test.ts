import { describe, expect, it } from 'vitest'
import { compileOpeningHours, isOpen, nextChange, type OpeningHoursEntry } from '../../../processors/stores/opening-hours.js'

/** `2024-03-31 10:00 GMT+2`: an instant as a person in `tz` reads it. */
function local(at: Date, tz: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' }).format(at).replace('\u2212', '-')
}

/** The next `count` openings and closings after `from`, read in `tz`. */
function timeline(hours: OpeningHoursEntry[], tz: string, from: string, count: number): string[] {
  const out: string[] = []
  let at = new Date(from)
  for (let i = 0; i < count; i++) {
    const change = nextChange(hours, at)
    if (change === null) break
    out.push(`${change.open ? 'opens' : 'closes'} ${local(change.at, tz)}`)
    at = change.at
  }
  return out
}

const entry = (rrule: string, duration: string, tzid: string): OpeningHoursEntry[] => [{ rrule, duration, tzid }]

describe('a daily 10:00 + PT14H store is open 10:00–24:00 local on both sides of a DST change', () => {
  it('Europe/Berlin, spring forward (2024-03-31 02:00 → 03:00)', () => {
    expect(timeline(entry('FREQ=DAILY;BYHOUR=10', 'PT14H', 'Europe/Berlin'), 'Europe/Berlin', '2024-03-30T00:00:00Z', 6)).toEqual([
      'opens 2024-03-30 10:00 GMT+1', 'closes 2024-03-31 00:00 GMT+1',
      'opens 2024-03-31 10:00 GMT+2', 'closes 2024-04-01 00:00 GMT+2',
      'opens 2024-04-01 10:00 GMT+2', 'closes 2024-04-02 00:00 GMT+2'
    ])
  })

  it('Europe/Berlin, fall back (2024-10-27 03:00 → 02:00)', () => {
    expect(timeline(entry('FREQ=DAILY;BYHOUR=10', 'PT14H', 'Europe/Berlin'), 'Europe/Berlin', '2024-10-26T00:00:00Z', 4)).toEqual([
      'opens 2024-10-26 10:00 GMT+2', 'closes 2024-10-27 00:00 GMT+2',
      'opens 2024-10-27 10:00 GMT+1', 'closes 2024-10-28 00:00 GMT+1'
    ])
  })

  it('answers isOpen at the edges: open from the opening instant, closed from the closing one', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=10', 'PT14H', 'Europe/Berlin')
    const at = (iso: string) => isOpen(hours, new Date(iso))
    expect([at('2024-03-31T07:59:59.999Z'), at('2024-03-31T08:00:00Z'), at('2024-03-31T21:59:59.999Z'), at('2024-03-31T22:00:00Z')]).toEqual([false, true, true, false])
    expect([at('2024-10-27T08:59:59.999Z'), at('2024-10-27T09:00:00Z'), at('2024-10-27T22:59:59.999Z'), at('2024-10-27T23:00:00Z')]).toEqual([false, true, true, false])
  })

  it('America/New_York, spring forward (2024-03-10) and fall back (2024-11-03)', () => {
    const hours = entry('RRULE:FREQ=DAILY;BYHOUR=10', 'PT14H', 'America/New_York')
    expect(timeline(hours, 'America/New_York', '2024-03-09T20:00:00Z', 4)).toEqual([
      'closes 2024-03-10 00:00 GMT-5', 'opens 2024-03-10 10:00 GMT-4', 'closes 2024-03-11 00:00 GMT-4', 'opens 2024-03-11 10:00 GMT-4'
    ])
    expect(timeline(hours, 'America/New_York', '2024-11-02T20:00:00Z', 4)).toEqual([
      'closes 2024-11-03 00:00 GMT-4', 'opens 2024-11-03 10:00 GMT-5', 'closes 2024-11-04 00:00 GMT-5', 'opens 2024-11-04 10:00 GMT-5'
    ])
  })
})

describe('Asia/Shanghai (UTC+8 all year)', () => {
  it('opens at the same UTC instant every day, whatever the date', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=9;BYMINUTE=30', 'PT12H30M', 'Asia/Shanghai')
    expect(timeline(hours, 'UTC', '2024-03-30T00:00:00Z', 4)).toEqual([
      'opens 2024-03-30 01:30 GMT+0', 'closes 2024-03-30 14:00 GMT+0', 'opens 2024-03-31 01:30 GMT+0', 'closes 2024-03-31 14:00 GMT+0'
    ])
    expect(isOpen(hours, new Date('2024-10-27T01:30:00Z'))).toBe(true)
  })
})

describe('an overnight opening (18:00 + PT10H) crossing midnight', () => {
  it('is open after midnight until 04:00, on an ordinary night', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=18', 'PT10H', 'Europe/Berlin')
    expect(timeline(hours, 'Europe/Berlin', '2024-06-01T12:00:00Z', 2)).toEqual(['opens 2024-06-01 18:00 GMT+2', 'closes 2024-06-02 04:00 GMT+2'])
    expect(isOpen(hours, new Date('2024-06-02T01:59:59Z'))).toBe(true) // 03:59 local, the night after it opened
  })

  it('lasts 10 elapsed hours across DST nights (RFC 5545: hours are exact), so the wall clock closes at 05:00 or 03:00', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=18', 'PT10H', 'America/New_York')
    expect(timeline(hours, 'America/New_York', '2024-03-09T12:00:00Z', 2)).toEqual(['opens 2024-03-09 18:00 GMT-5', 'closes 2024-03-10 05:00 GMT-4'])
    expect(timeline(hours, 'America/New_York', '2024-11-02T12:00:00Z', 2)).toEqual(['opens 2024-11-02 18:00 GMT-4', 'closes 2024-11-03 03:00 GMT-5'])
  })

  it('P1D is a calendar day (nominal): 10:00 to 10:00 local, 23 hours on the spring-forward day', () => {
    const hours = [...entry('FREQ=WEEKLY;BYDAY=SA;BYHOUR=10', 'P1D', 'America/New_York')]
    expect(timeline(hours, 'America/New_York', '2024-03-08T12:00:00Z', 2)).toEqual(['opens 2024-03-09 10:00 GMT-5', 'closes 2024-03-10 10:00 GMT-4'])
  })
})

describe('an opening whose start falls in a DST gap or a repeated hour (RFC 5545 §3.3.5)', () => {
  it('starts 02:30 in New York: on the spring-forward day it opens at 03:30 EDT (the offset before the gap) for 2 h', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=2;BYMINUTE=30', 'PT2H', 'America/New_York')
    expect(timeline(hours, 'America/New_York', '2024-03-09T12:00:00Z', 4)).toEqual([
      'opens 2024-03-10 03:30 GMT-4', 'closes 2024-03-10 05:30 GMT-4', 'opens 2024-03-11 02:30 GMT-4', 'closes 2024-03-11 04:30 GMT-4'
    ])
  })

  it('starts 01:30 in New York: on the fall-back day it opens once, at the first 01:30 (EDT)', () => {
    const hours = entry('FREQ=DAILY;BYHOUR=1;BYMINUTE=30', 'PT30M', 'America/New_York')
    expect(timeline(hours, 'America/New_York', '2024-11-02T12:00:00Z', 4)).toEqual([
      'opens 2024-11-03 01:30 GMT-4', 'closes 2024-11-03 01:00 GMT-5', 'opens 2024-11-04 01:30 GMT-5', 'closes 2024-11-04 02:00 GMT-5'
    ])
  })
})

describe('rules and entries together', () => {
  it('combines entries: weekdays and a longer Saturday, merging openings that overlap or touch', () => {
    const hours: OpeningHoursEntry[] = [
      { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9', duration: 'PT9H', tzid: 'Asia/Shanghai' },
      { rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=18', duration: 'PT6H', tzid: 'Asia/Shanghai' },
      { rrule: 'FREQ=WEEKLY;BYDAY=SA;BYHOUR=0', duration: 'PT2H', tzid: 'Asia/Shanghai' }
    ]
    expect(timeline(hours, 'Asia/Shanghai', '2024-05-09T12:00:00Z', 4)).toEqual([ // Thu 20:00 local
      'opens 2024-05-10 09:00 GMT+8', 'closes 2024-05-11 02:00 GMT+8', 'opens 2024-05-13 09:00 GMT+8', 'closes 2024-05-13 18:00 GMT+8'
    ])
  })

  it('takes a local DTSTART with INTERVAL and COUNT, and a UTC UNTIL', () => {
    const everyOther = entry('DTSTART;TZID=Europe/Berlin:20240301T120000\nRRULE:FREQ=DAILY;INTERVAL=2;COUNT=3', 'PT1H', 'Europe/Berlin')
    expect(timeline(everyOther, 'Europe/Berlin', '2024-02-01T00:00:00Z', 8)).toEqual([
      'opens 2024-03-01 12:00 GMT+1', 'closes 2024-03-01 13:00 GMT+1', 'opens 2024-03-03 12:00 GMT+1', 'closes 2024-03-03 13:00 GMT+1',
      'opens 2024-03-05 12:00 GMT+1', 'closes 2024-03-05 13:00 GMT+1'
    ])
    const until = entry('FREQ=DAILY;BYHOUR=12;UNTIL=20240302T110000Z', 'PT1H', 'Europe/Berlin')
    expect(timeline(until, 'Europe/Berlin', '2024-03-01T00:00:00Z', 8)).toEqual([
      'opens 2024-03-01 12:00 GMT+1', 'closes 2024-03-01 13:00 GMT+1', 'opens 2024-03-02 12:00 GMT+1', 'closes 2024-03-02 13:00 GMT+1'
    ])
  })

  it('is always open with no entries, and with openings that leave no gap; nextChange is then null', () => {
    expect(isOpen([], new Date())).toBe(true)
    expect(nextChange([], new Date())).toBeNull()
    const allDay = entry('FREQ=DAILY', 'P1D', 'Asia/Shanghai')
    expect(isOpen(allDay, new Date('2024-03-10T07:00:00Z'))).toBe(true)
    expect(nextChange(allDay, new Date('2024-03-10T07:00:00Z'))).toBeNull()
  })

  it('answers from a rule started years ago as fast as from a new one', () => {
    const hours = compileOpeningHours(entry('DTSTART:20000101T100000\nRRULE:FREQ=DAILY', 'PT14H', 'Europe/Berlin'))
    const started = performance.now()
    for (let i = 0; i < 200; i++) hours.isOpen(new Date(Date.UTC(2026, 0, 1) + i * 3_600_000))
    expect(performance.now() - started).toBeLessThan(500)
    expect(hours.isOpen(new Date('2026-01-01T12:00:00Z'))).toBe(true)
  })
})
