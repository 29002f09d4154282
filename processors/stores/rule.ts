import rrulePkg from 'rrule'
import type { Options } from 'rrule'
import { checkOptions, explicitOptions, periods } from './rule-options.js'
import type { Zone } from './zone.js'

// rrule ships CommonJS without named ESM exports; Node hands us module.exports as default.
const { RRule } = rrulePkg

/**
 * Opening instants from an RRULE, read as wall times of the entry's zone.
 *
 * rrule is used in "floating" time only: its own `tzid` support converts with the process's
 * zone and is off by an hour around transitions (see processors/jobs/schedule.ts). It expands
 * wall times (a Date's UTC fields read as local date and time) and processors/stores/zone.ts
 * turns each into an instant. The text is an RRULE, with or without `RRULE:`, optionally after
 * a `DTSTART:` line in local time (`DTSTART:20240301T100000`, or `DTSTART;TZID=<the entry's
 * tzid>:…`). Without DTSTART, times default to 00:00:00 and the rule has no start; then a
 * WEEKLY rule needs BYDAY, MONTHLY and YEARLY ones a BYMONTHDAY or BYDAY, and INTERVAL and
 * COUNT are refused, for they count from a start. UNTIL is local time, or UTC with a `Z`.
 */
export interface EntryRule {
  /** Wall-time starts in [loWall, hiWall], ascending. */
  startsBetween(loWall: number, hiWall: number): number[]
}

/** 2000-01-03T00:00, a Monday: where a rule without DTSTART is expanded from. */
const ANCHOR = Date.UTC(2000, 0, 3)
const DTSTART = /^DTSTART(?:;TZID=([^:;]+))?:(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i
const UNTIL_UTC = /(?:^|;)UNTIL=\d{8}T\d{6}Z(?:;|$)/i

/** Compiles an entry's rule; throws an Error whose message says what is wrong. */
export function compileRule(text: string, zone: Zone): EntryRule {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
  const dtLine = lines.find((l) => /^DTSTART[;:]/i.test(l))
  const ruleLines = lines.filter((l) => l !== dtLine)
  if (ruleLines.length !== 1) throw new Error('must hold one RRULE (and at most one DTSTART line)')
  const ruleText = (ruleLines[0] as string).replace(/^RRULE:/i, '')
  const dtstart = dtLine === undefined ? null : parseDtstart(dtLine, zone.tzid)
  let parsed: Partial<Options>
  try {
    parsed = RRule.parseString(ruleText)
  } catch (err) {
    throw new Error(`is not an RRULE: ${(err as Error).message}`)
  }
  checkOptions(parsed, dtstart !== null)
  const options = explicitOptions(parsed, new Date(dtstart ?? ANCHOR))
  if (options.until != null && UNTIL_UTC.test(ruleText)) options.until = new Date(zone.wallOf(options.until.getTime()))
  const start = dtstart ?? ANCHOR
  const period = periods(options)
  // rrule walks from DTSTART on every call: starting it at the period (aligned to INTERVAL)
  // that holds the window keeps a call cheap however old DTSTART is. COUNT needs the walk.
  const aligned = (loWall: number): number => {
    const k = Math.floor((period.index(loWall) - period.index(start)) / (options.interval ?? 1))
    return k <= 0 ? start : period.startOf(period.index(start) + k * (options.interval ?? 1))
  }
  const startFor = (loWall: number): number => (options.count == null ? aligned(loWall) : start)
  const until = options.until?.getTime() ?? Infinity
  const expand = (loWall: number, hiWall: number): number[] => loWall > until ? [] :
    new RRule({ ...options, dtstart: new Date(startFor(loWall)) }, true)
      .between(new Date(loWall), new Date(hiWall), true).map((d) => d.getTime())
  probe({ ...options, count: null, until: null }, aligned(PROBE_FROM))
  return { startsBetween: expand }
}

/**
 * rrule walks period by period until it finds a date past the window, up to the year 9999: a
 * rule that never matches (BYMONTH=2;BYMONTHDAY=30) would take seconds on every call. So a rule
 * must match within the last 30 years rrule knows, with its start aligned as every call aligns
 * it: that walk is bounded, and a rule that passes matches at least once in 30 years.
 */
const PROBE_FROM = Date.UTC(9970, 0, 1)

function probe(options: Partial<Options>, dtstart: number): void {
  let first: Date | null
  try {
    first = new RRule({ ...options, dtstart: new Date(dtstart) }, true).after(new Date(PROBE_FROM), true)
  } catch (err) {
    throw new Error(`cannot be expanded: ${(err as Error).message}`)
  }
  if (first === null) throw new Error('never matches a date (check BYMONTH, BYMONTHDAY, BYDAY and BYSETPOS together)')
}

function parseDtstart(line: string, tzid: string): number {
  const m = DTSTART.exec(line)
  if (m === null) throw new Error(`DTSTART must be a local date and time such as DTSTART:20240301T100000, not ${JSON.stringify(line)}`)
  if (m[8] !== '') throw new Error('DTSTART must be local time in the entry\'s tzid, without Z')
  if (m[1] !== undefined && m[1] !== tzid) throw new Error(`DTSTART names TZID ${m[1]}, but the entry's tzid is ${tzid}`)
  const [y, mo, d, h, mi, s] = m.slice(2, 8).map(Number) as [number, number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(ms)
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new Error(`DTSTART ${line.split(':').pop() ?? ''} is not a date`)
  return ms
}
