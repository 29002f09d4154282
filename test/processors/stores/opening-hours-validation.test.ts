import { describe, expect, it } from 'vitest'
import { validateOpeningHours } from '../../../processors/stores/opening-hours.js'
import { thrown } from '../../support/helpers.js'

/** The problems validateOpeningHours reports, as `path: message`. */
function problems(input: unknown): string[] {
  const err = thrown(() => validateOpeningHours(input))
  expect(err.code).toBe('PG_ERR_OPENING_HOURS_INVALID')
  return (err.details.problems as Array<{ path: string; message: string }>).map((p) => `${p.path}: ${p.message}`)
}

const ok = { rrule: 'FREQ=DAILY;BYHOUR=10', duration: 'PT14H', tzid: 'Europe/Berlin' }

describe('validateOpeningHours', () => {
  it('returns valid entries as given', () => {
    expect(validateOpeningHours([ok, { rrule: 'RRULE:FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=8', duration: 'P1D', tzid: 'UTC' }])).toEqual([ok, { rrule: 'RRULE:FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=8', duration: 'P1D', tzid: 'UTC' }])
  })

  it('names every bad entry by index and field, in one error', () => {
    const err = thrown(() => validateOpeningHours([ok, { ...ok, duration: '14H' }, { ...ok, tzid: 'Mars/Olympus' }]))
    expect(err.message).toBe('The opening hours are invalid: opening_hours[1].duration: must be an ISO 8601 duration such as PT14H, PT30M or P1D, over zero and at most a week, not "14H"; ' +
      'opening_hours[2].tzid: must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, not "Mars/Olympus"')
    expect(err.details.problems).toEqual([
      { index: 1, path: '/opening_hours/1/duration', message: expect.any(String) },
      { index: 2, path: '/opening_hours/2/tzid', message: expect.any(String) }
    ])
  })

  it('refuses durations that are not ISO 8601, are zero, or are over a week', () => {
    for (const duration of ['PT', 'P', 'PT0H', '14h', 'PT1.5H', 'P1M', 'P8D', 'PT169H', '-PT1H', 'PT1H ', 14]) {
      expect(problems([{ ...ok, duration }]), String(duration)).toEqual([expect.stringMatching(/^\/opening_hours\/0\/duration: must be an ISO 8601 duration/)])
    }
  })

  it('refuses rules rrule would silently accept or bend', () => {
    const cases: Array<[string, string]> = [
      ['FREQ=DAILY;BYHOUR=25', 'BYHOUR=25 is out of range (0 to 23)'],
      ['FREQ=DAILY;BYHOUR=x', 'BYHOUR=x is out of range (0 to 23)'],
      ['FREQ=DAILY;BYMONTHDAY=0', 'BYMONTHDAY=0 is out of range (-31 to 31, not 0)'],
      ['FREQ=HOURLY', 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY: an opening starts at set times of day'],
      ['BYHOUR=10', 'needs FREQ, e.g. FREQ=DAILY;BYHOUR=10'],
      ['FREQ=DAILY;OPEN=1', "is not an RRULE: Unknown RRULE property 'OPEN'"],
      ['FREQ=WEEKLY;BYDAY=XX', 'BYDAY must list days as MO, TU, WE, TH, FR, SA, SU (optionally numbered, as 1MO or -1FR)'],
      ['FREQ=WEEKLY;BYHOUR=9', 'a WEEKLY rule needs BYDAY (or a DTSTART whose weekday it repeats)'],
      ['FREQ=MONTHLY', 'a MONTHLY or YEARLY rule needs BYMONTHDAY or BYDAY (or a DTSTART whose day it repeats)'],
      ['FREQ=DAILY;INTERVAL=2', 'INTERVAL counts from a start: add a DTSTART line'],
      ['FREQ=DAILY;COUNT=3', 'COUNT counts from a start: add a DTSTART line'],
      ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'never matches a date (check BYMONTH, BYMONTHDAY, BYDAY and BYSETPOS together)'],
      ['FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31;BYHOUR=9', 'never matches a date (check BYMONTH, BYMONTHDAY, BYDAY and BYSETPOS together)'],
      ['DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY', "DTSTART must be local time in the entry's tzid, without Z"],
      ['DTSTART;TZID=Asia/Tokyo:20240101T100000\nRRULE:FREQ=DAILY', "DTSTART names TZID Asia/Tokyo, but the entry's tzid is Europe/Berlin"],
      ['DTSTART:20240230T100000\nRRULE:FREQ=DAILY', 'DTSTART 20240230T100000 is not a date'],
      ['FREQ=DAILY\nFREQ=WEEKLY;BYDAY=MO', 'must hold one RRULE (and at most one DTSTART line)']
    ]
    for (const [rrule, message] of cases) expect(problems([{ ...ok, rrule }]), rrule).toEqual([`/opening_hours/0/rrule: ${message}`])
  })

  it('refuses what is not a list of {rrule, duration, tzid}', () => {
    expect(problems({ rrule: 'FREQ=DAILY' })).toEqual(['/opening_hours: must be an array of {rrule, duration, tzid}'])
    expect(problems([ok, 'FREQ=DAILY', { ...ok, note: 'x' }, { duration: 'PT1H', tzid: 'UTC' }])).toEqual([
      '/opening_hours/1: must be an object {rrule, duration, tzid}',
      '/opening_hours/2/note: unknown field note; an entry has rrule, duration and tzid',
      '/opening_hours/3/rrule: must be an RRULE such as FREQ=DAILY;BYHOUR=10, not undefined'
    ])
    expect(problems(Array.from({ length: 101 }, () => ok))).toEqual(['/opening_hours: at most 100 entries'])
  })
})
