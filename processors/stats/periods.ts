/**
 * Statistics periods as local calendar dates (`YYYY-MM-DD` in the configured zone): a day, the
 * ISO week from Monday, the calendar month. Date arithmetic here is on the calendar alone; the
 * zone enters only when a period's bounds become instants (sql.ts boundsOf).
 */
export type PeriodKind = 'day' | 'week' | 'month'

export interface Period {
  kind: PeriodKind
  /** First local day. */
  start: string
  /** The next period's first day (exclusive end). */
  end: string
}

const DAY_MS = 86_400_000
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Whether `s` is a real calendar date written YYYY-MM-DD, in the years 1000–9999 (so dates sort as strings). */
export function isDate(s: string): boolean {
  const m = DATE.exec(s)
  if (m === null || Number(m[1]) < 1000) return false
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return new Date(t).toISOString().slice(0, 10) === s
}

const toMs = (day: string): number => Date.parse(`${day}T00:00:00Z`)
const fromMs = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

export const addDays = (day: string, n: number): string => fromMs(toMs(day) + n * DAY_MS)

/** Days from `from` to `to`, both included, in order (dates of years 1000–9999: see isDate). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = []
  for (let d = from; d <= to && d.length === 10; d = addDays(d, 1)) out.push(d)
  return out
}

export function periodOf(kind: PeriodKind, day: string): Period {
  if (kind === 'day') return { kind, start: day, end: addDays(day, 1) }
  if (kind === 'week') {
    // getUTCDay: 0 Sunday … 6 Saturday; ISO weeks start on Monday.
    const start = addDays(day, -((new Date(toMs(day)).getUTCDay() + 6) % 7))
    return { kind, start, end: addDays(start, 7) }
  }
  const start = `${day.slice(0, 7)}-01`
  const d = new Date(toMs(start))
  return { kind, start, end: fromMs(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) }
}

/** The period of the same kind just before `p`. */
export const previousPeriod = (p: Period): Period => periodOf(p.kind, addDays(p.start, -1))

/** Local calendar date of an instant in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms)
}

/** The zone's offset from UTC at an instant, in ms (whole seconds). */
function offsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'
  }).formatToParts(ms)
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value)
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return wall - Math.floor(ms / 1000) * 1000
}

/**
 * The instant a local date begins in `timeZone`. Where clocks skip midnight (a DST change at
 * 00:00), the first instant of the day that exists.
 */
export function localMidnight(day: string, timeZone: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`)
  let t = utc - offsetMs(utc, timeZone)
  t = utc - offsetMs(t, timeZone)
  return localDate(t, timeZone) === day ? t : t + 3_600_000
}
