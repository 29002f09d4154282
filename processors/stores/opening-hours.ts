import { errors, PulseGateError } from '../errors.js'
import { endOf, maxSpanMs, parseDuration, type Duration } from './duration.js'
import { compileRule, type EntryRule } from './rule.js'
import { isTimeZone, zoneOf, type Zone } from './zone.js'

/**
 * A store's opening hours (SPEC §6): each entry opens the store at every instant its RRULE
 * gives, read as wall time in `tzid`, for `duration`. Outside every opening a device going
 * offline is expected (`closed`). No entries at all means no hours are known: always open.
 */
export interface OpeningHoursEntry {
  /** `FREQ=DAILY;BYHOUR=10`, optionally after a local `DTSTART:` line; see processors/stores/rule.ts. */
  rrule: string
  /** ISO 8601: `PT14H`, `PT30M`, `P1D`; see processors/stores/duration.ts. */
  duration: string
  /** IANA zone the rule's wall times are read in. */
  tzid: string
}

export interface OpeningChange {
  at: Date
  /** The state from `at` on. */
  open: boolean
}

export interface OpeningHoursProblem {
  index: number
  /** A JSON pointer into the store: `/opening_hours/1/duration`. */
  path: string
  message: string
}

export interface OpeningHours {
  isOpen(at: Date): boolean
  /** The first instant after `at` when the store opens or closes; null if none within 400 days. */
  nextChange(at: Date): OpeningChange | null
}

export const MAX_ENTRIES = 100
const DAY = 86_400_000
const CHUNK_MS = 7 * DAY
const HORIZON_MS = 400 * DAY
const FIELDS = ['rrule', 'duration', 'tzid']

interface Compiled { rule: EntryRule; zone: Zone; duration: Duration; spanMs: number }
interface Opening { start: number; end: number }

/** Checks every entry; returns the entries and their compiled form, or every problem found. */
function compileAll(input: unknown): { entries: OpeningHoursEntry[]; compiled: Compiled[]; problems: OpeningHoursProblem[] } {
  const problems: OpeningHoursProblem[] = []
  if (!Array.isArray(input)) return { entries: [], compiled: [], problems: [{ index: -1, path: '/opening_hours', message: 'must be an array of {rrule, duration, tzid}' }] }
  if (input.length > MAX_ENTRIES) problems.push({ index: -1, path: '/opening_hours', message: `at most ${MAX_ENTRIES} entries` })
  const compiled = input.flatMap((entry: unknown, index) => {
    const problem = (field: string, message: string): [] => { problems.push({ index, path: `/opening_hours/${index}${field === '' ? '' : '/' + field}`, message }); return [] }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return problem('', 'must be an object {rrule, duration, tzid}')
    const e = entry as Record<string, unknown>
    for (const key of Object.keys(e)) if (!FIELDS.includes(key)) problem(key, `unknown field ${key}; an entry has rrule, duration and tzid`)
    const tzOk = isTimeZone(e.tzid)
    if (!tzOk) problem('tzid', `must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, not ${JSON.stringify(e.tzid)}`)
    const duration = typeof e.duration === 'string' ? parseDuration(e.duration) : null
    if (duration === null) problem('duration', `must be an ISO 8601 duration such as PT14H, PT30M or P1D, over zero and at most a week, not ${JSON.stringify(e.duration)}`)
    if (typeof e.rrule !== 'string') return problem('rrule', `must be an RRULE such as FREQ=DAILY;BYHOUR=10, not ${JSON.stringify(e.rrule)}`)
    const zone = zoneOf(tzOk ? e.tzid as string : 'UTC')
    let rule: EntryRule
    try {
      rule = compileRule(e.rrule, zone)
    } catch (err) {
      return problem('rrule', (err as Error).message)
    }
    return duration === null || !tzOk ? [] : [{ rule, zone, duration, spanMs: maxSpanMs(duration) }]
  })
  const entries = problems.length > 0 ? [] : (input as Array<Record<string, string>>).map((e) => ({ rrule: e.rrule as string, duration: e.duration as string, tzid: e.tzid as string }))
  return { entries, compiled, problems }
}

/** The entries as given, or PG_ERR_OPENING_HOURS_INVALID naming every bad entry by index. */
export function validateOpeningHours(input: unknown): OpeningHoursEntry[] {
  const { entries, problems } = compileAll(input)
  if (problems.length > 0) throw invalid(problems)
  return entries
}

function invalid(problems: OpeningHoursProblem[]): PulseGateError {
  const list = problems.map((p) => `${p.path.slice(1).replace(/\/(\d+)/, '[$1]').replaceAll('/', '.')}: ${p.message}`).join('; ')
  return new PulseGateError(errors.OPENING_HOURS_INVALID, list, { details: { problems } })
}

/** Compiles once what isOpen and nextChange then use on every call. */
export function compileOpeningHours(hours: readonly OpeningHoursEntry[]): OpeningHours {
  const { compiled, problems } = compileAll(hours)
  if (problems.length > 0) throw invalid(problems)
  const lookback = Math.max(0, ...compiled.map((c) => c.spanMs))
  const openingsIn = (lo: number, hi: number): Opening[] =>
    compiled.flatMap((c) => startingIn(c, lo, hi)).sort((a, b) => a.start - b.start)
  const openAt = (t: number): boolean =>
    compiled.length === 0 || compiled.some((c) => startingIn(c, t - c.spanMs, t + 1).some((o) => t < o.end))
  return {
    isOpen: (at) => openAt(at.getTime()),
    nextChange(at) {
      const t = at.getTime()
      if (compiled.length === 0) return null
      const open = openAt(t)
      let coverEnd = t
      let lo = open ? t - lookback : t + 1
      for (let hi = t + CHUNK_MS; lo < t + HORIZON_MS; lo = hi, hi += CHUNK_MS) {
        const found = openingsIn(lo, hi)
        if (!open) {
          if (found[0] !== undefined) return { at: new Date(found[0].start), open: true }
          continue
        }
        // Openings that overlap or touch merge: the store closes where the run of them ends.
        for (const o of found) {
          if (o.start > coverEnd) return { at: new Date(coverEnd), open: false }
          coverEnd = Math.max(coverEnd, o.end)
        }
        if (coverEnd < hi) return { at: new Date(coverEnd), open: false }
      }
      return null
    }
  }
}

/** Openings of one entry whose start instant is in [lo, hi). */
function startingIn(c: Compiled, lo: number, hi: number): Opening[] {
  // A day of slack either side: the window is in instants, the rule in wall times.
  return c.rule.startsBetween(c.zone.wallOf(lo) - DAY, c.zone.wallOf(hi) + DAY).flatMap((wall) => {
    const start = c.zone.instantOf(wall)
    return start >= lo && start < hi ? [{ start, end: endOf(c.zone, wall, start, c.duration) }] : []
  })
}

const cache = new WeakMap<readonly OpeningHoursEntry[], OpeningHours>()
const compiledFor = (hours: readonly OpeningHoursEntry[]): OpeningHours => {
  let c = cache.get(hours)
  if (c === undefined) cache.set(hours, c = compileOpeningHours(hours))
  return c
}

/** Whether the store is open at `at`; an empty list is always open. Compiled once per array. */
export const isOpen = (hours: readonly OpeningHoursEntry[], at: Date): boolean => compiledFor(hours).isOpen(at)

/** The next opening or closing after `at`, or null (no hours, or no change within 400 days). */
export const nextChange = (hours: readonly OpeningHoursEntry[], at: Date): OpeningChange | null => compiledFor(hours).nextChange(at)
