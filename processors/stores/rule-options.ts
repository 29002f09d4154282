import rrulePkg from 'rrule'
import type { Options } from 'rrule'

const { RRule } = rrulePkg
const DAY = 86_400_000

/** [part, smallest, largest, zero allowed, negatives allowed]: rrule takes out-of-range values silently. */
const RANGES: Array<[keyof Options, number, number, boolean]> = [
  ['byhour', 0, 23, true], ['byminute', 0, 59, true], ['bysecond', 0, 59, true], ['bymonth', 1, 12, false],
  ['bymonthday', -31, 31, false], ['byyearday', -366, 366, false], ['byweekno', -53, 53, false],
  ['bysetpos', -366, 366, false], ['interval', 1, 1000, false], ['count', 1, 10_000, false]
]

/** Throws an Error naming the first part of the rule that is wrong. */
export function checkOptions(o: Partial<Options>, hasDtstart: boolean): void {
  if (o.freq == null) throw new Error('needs FREQ, e.g. FREQ=DAILY;BYHOUR=10')
  if (o.freq > RRule.DAILY) throw new Error('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY: an opening starts at set times of day')
  for (const [part, min, max, zero] of RANGES) {
    const value = o[part] as unknown
    if (value == null) continue
    const values = Array.isArray(value) ? value : [value]
    const bad = values.find((v) => !Number.isInteger(v) || v < min || v > max || (v === 0 && !zero))
    if (bad !== undefined) throw new Error(`${part.toUpperCase()}=${String(bad)} is out of range (${min} to ${max}${zero || min >= 0 ? '' : ', not 0'})`)
  }
  const days = o.byweekday == null ? [] : Array.isArray(o.byweekday) ? o.byweekday : [o.byweekday]
  if (days.some((d) => d == null)) throw new Error('BYDAY must list days as MO, TU, WE, TH, FR, SA, SU (optionally numbered, as 1MO or -1FR)')
  if (hasDtstart) return
  if (o.interval != null && o.interval !== 1) throw new Error('INTERVAL counts from a start: add a DTSTART line')
  if (o.count != null) throw new Error('COUNT counts from a start: add a DTSTART line')
  if (o.freq === RRule.WEEKLY && o.byweekday == null) throw new Error('a WEEKLY rule needs BYDAY (or a DTSTART whose weekday it repeats)')
  if (o.freq < RRule.WEEKLY && !hasDaySelector(o)) throw new Error('a MONTHLY or YEARLY rule needs BYMONTHDAY or BYDAY (or a DTSTART whose day it repeats)')
}

const hasDaySelector = (o: Partial<Options>): boolean =>
  o.byweekno != null || o.byyearday != null || o.bymonthday != null || o.byweekday != null || o.byeaster != null

const weekdayOf = (ms: number): number => (new Date(ms).getUTCDay() + 6) % 7 // Monday = 0, as rrule counts

/**
 * The options with every part rrule would take from DTSTART written out (rrule's parseOptions
 * fills the time of day, and the day for WEEKLY, MONTHLY and YEARLY rules without one), so the
 * rule means the same when expansion starts from a later period.
 */
export function explicitOptions(o: Partial<Options>, dtstart: Date): Partial<Options> {
  const out: Partial<Options> = { ...o }
  if (!hasDaySelector(o)) {
    if (o.freq === RRule.YEARLY) {
      out.bymonth = o.bymonth ?? dtstart.getUTCMonth() + 1
      out.bymonthday = dtstart.getUTCDate()
    } else if (o.freq === RRule.MONTHLY) out.bymonthday = dtstart.getUTCDate()
    else if (o.freq === RRule.WEEKLY) out.byweekday = [weekdayOf(dtstart.getTime())]
  }
  out.byhour = o.byhour ?? dtstart.getUTCHours()
  out.byminute = o.byminute ?? dtstart.getUTCMinutes()
  out.bysecond = o.bysecond ?? dtstart.getUTCSeconds()
  return out
}

/** Numbers the rule's periods (days, weeks from WKST, months, years) of a wall time, and back. */
export interface Periods {
  index(wallMs: number): number
  startOf(index: number): number
}

export function periods(o: Partial<Options>): Periods {
  switch (o.freq) {
    case RRule.DAILY:
      return { index: (ms) => Math.floor(ms / DAY), startOf: (i) => i * DAY }
    case RRule.WEEKLY: {
      const wkst = typeof o.wkst === 'number' ? o.wkst : o.wkst?.weekday ?? 0
      // Day 0 (1970-01-01) was a Thursday (3): weeks are counted from the first WKST day before it.
      const origin = -(((3 - wkst) % 7 + 7) % 7)
      return { index: (ms) => Math.floor((Math.floor(ms / DAY) - origin) / 7), startOf: (i) => (origin + i * 7) * DAY }
    }
    case RRule.MONTHLY:
      return {
        index: (ms) => { const d = new Date(ms); return d.getUTCFullYear() * 12 + d.getUTCMonth() },
        startOf: (i) => Date.UTC(Math.floor(i / 12), i % 12, 1)
      }
    default:
      return { index: (ms) => new Date(ms).getUTCFullYear(), startOf: (i) => Date.UTC(i, 0, 1) }
  }
}
