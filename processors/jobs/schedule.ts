/**
 * Job schedules: an RFC 5545 RRULE read as wall-clock times of one IANA zone.
 *
 * rrule 2.8's own `tzid` support is not used. It converts with the offset of the *process's*
 * zone and looks that offset up at the wrong instant (the wall time read as UTC), so results
 * change with `TZ` and are off by an hour around transitions: with TZ=UTC, a daily 01:30 in
 * Europe/Berlin comes out at 00:30 CET on 2024-03-31. Instead rrule expands the rule in
 * "floating" time (wall clock stored in a Date's UTC fields) and `toInstants` maps each wall
 * time to real instants with Intl, which knows the zone's history.
 *
 * DST, as cron does it (Vixie cron's "fixed time" vs "wildcard" jobs):
 * - A rule that pins the hour (FREQ=DAILY or coarser, or BYHOUR set) runs once per wall time:
 *   a time skipped by spring-forward runs at the first instant after the gap (02:30 → 03:00),
 *   a time repeated by fall-back runs at its first occurrence only.
 * - A rule that does not pin the hour (FREQ=HOURLY/MINUTELY/SECONDLY without BYHOUR) follows
 *   elapsed time: skipped wall times do not run and repeated ones run twice, so an hourly job
 *   runs 23 or 25 times on DST days, once per local hour bucket (SPEC §8).
 */
import rrulePkg from 'rrule'
import type { Options } from 'rrule'

// rrule ships CommonJS without named ESM exports; Node hands us module.exports as default.
const { RRule } = rrulePkg

/** Hourly rollups, at :05 past every hour (SPEC §8). */
export const HOURLY_AT_05 = 'FREQ=HOURLY;BYMINUTE=5;BYSECOND=0'
/** Daily rollups, at 02:00. */
export const DAILY_0200 = 'FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0'
/** Weekly rollups, Monday 03:00. */
export const WEEKLY_MON_0300 = 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=3;BYMINUTE=0;BYSECOND=0'
/** Monthly rollups, on the 1st at 04:00. */
export const MONTHLY_1ST_0400 = 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=4;BYMINUTE=0;BYSECOND=0'

export interface Schedule {
  /** The RRULE as given. */
  readonly rule: string
  readonly timeZone: string
  /** Instants in (after, until], oldest first, at most `limit` of them. */
  occurrencesBetween(after: Date, until: Date, limit: number): Date[]
  /** The newest `limit` instants in (after, until], oldest first, and how many older ones were left out. */
  latestBetween(after: Date, until: Date, limit: number): { instants: Date[]; skipped: number }
  /** The first instant strictly after `after`; null if none within HORIZON_MS. */
  next(after: Date): Date | null
  /** The last instant at or before `at`; null if none within HORIZON_MS. */
  previous(at: Date): Date | null
}

const SECOND = 1000
const HOUR = 3600 * SECOND
const DAY = 24 * HOUR
/** Far enough for every sane rule; a yearly Feb 29 rule needs 8 years around 2100. */
const HORIZON_MS = 12 * 366 * DAY
/** Occurrence periods per chunk: enough to amortise building a rule, few enough for next() to stay cheap. */
const PERIODS_PER_CHUNK = 50
/** Chunks stay short so that sampling offsets across one stays cheap (each sample is an Intl call). */
const MAX_CHUNK_MS = 64 * DAY
/** Offsets are sampled this often inside a chunk: tzdb has no two transitions within a day. */
const OFFSET_SAMPLE_MS = DAY
/** Interval alignment anchor: 2000-01-03T00:00 floating, a Monday (weeks start on Monday). */
const ANCHOR_MS = Date.UTC(2000, 0, 3)
const FIXED_PERIOD_MS: Record<number, number> = {
  [RRule.WEEKLY]: 7 * DAY, [RRule.DAILY]: DAY, [RRule.HOURLY]: HOUR,
  [RRule.MINUTELY]: 60 * SECOND, [RRule.SECONDLY]: SECOND
}
/** Approximate period lengths, used only to size chunks. */
const CHUNK_PERIOD_MS: Record<number, number> = { ...FIXED_PERIOD_MS, [RRule.MONTHLY]: 31 * DAY, [RRule.YEARLY]: 366 * DAY }

type OffsetAt = (instantMs: number) => number

/** Parses `rule` (an RRULE, with or without the `RRULE:` prefix) for wall clocks of `timeZone`. */
export function parseSchedule(rule: string, timeZone: string): Schedule {
  const options = parseRule(rule)
  const offsetAt = offsetReader(timeZone)
  const pinsWallTime = options.freq <= RRule.DAILY || options.byhour != null
  const expand = (lo: number, hi: number): number[] =>
    expandChunk(options, offsetAt, pinsWallTime, lo, hi)
  return buildSchedule(rule, timeZone, expand, chunkMs(options))
}

function parseRule(rule: string): Partial<Options> & { freq: number } {
  const parsed = RRule.parseString(rule.trim())
  const bad = (['dtstart', 'tzid', 'count'] as const).filter((k) => parsed[k] != null)
  // DTSTART and COUNT would tie occurrences to a start we do not keep; the zone comes from config.
  if (bad.length > 0) throw new Error(`schedule ${JSON.stringify(rule)}: ${bad.join(', ').toUpperCase()} not supported`)
  if (parsed.freq == null) throw new Error(`schedule ${JSON.stringify(rule)}: FREQ is required`)
  return { ...parsed, freq: parsed.freq }
}

function chunkMs(options: { freq: number; interval?: number }): number {
  return Math.min(MAX_CHUNK_MS, (CHUNK_PERIOD_MS[options.freq] ?? DAY) * (options.interval ?? 1) * PERIODS_PER_CHUNK)
}

// ---------------------------------------------------------------- zone arithmetic

/** Returns the zone's UTC offset (ms) at an instant. Throws RangeError for an unknown zone. */
export function offsetReader(timeZone: string): OffsetAt {
  // Built once per schedule: constructing an Intl formatter costs far more than using one.
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric'
  })
  return (instantMs) => {
    const p: Record<string, number> = {}
    for (const { type, value } of fmt.formatToParts(instantMs)) p[type] = Number(value)
    const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day, p.hour, p.minute, p.second)
    return wall - (instantMs - mod(instantMs, SECOND))
  }
}

const mod = (a: number, b: number): number => ((a % b) + b) % b

/** Every instant whose wall clock reads `wallMs`: none in a gap, two in a repeated hour. */
function exactInstants(wallMs: number, offsetAt: OffsetAt): number[] {
  const offsets = new Set([offsetAt(wallMs - DAY), offsetAt(wallMs), offsetAt(wallMs + DAY)])
  const instants = [...offsets].map((o) => wallMs - o).filter((i) => offsetAt(i) === wallMs - i)
  return instants.sort((a, b) => a - b)
}

/** First instant after the gap that swallowed `wallMs` (transitions fall on whole seconds). */
function gapEnd(wallMs: number, offsetAt: OffsetAt): number {
  const before = offsetAt(wallMs - DAY)
  let lo = wallMs - Math.max(before, offsetAt(wallMs + DAY)) // still on the old offset
  let hi = wallMs - Math.min(before, offsetAt(wallMs + DAY)) // already on the new one
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / SECOND / 2) * SECOND
    if (offsetAt(mid) === offsetAt(lo)) lo = mid
    else hi = mid
  }
  return hi
}

/** Real instants for one wall time, by the DST policy described at the top of this file. */
function toInstants(wallMs: number, offsetAt: OffsetAt, pinsWallTime: boolean): number[] {
  const exact = exactInstants(wallMs, offsetAt)
  if (!pinsWallTime) return exact
  if (exact.length === 0) return [gapEnd(wallMs, offsetAt)]
  return exact.slice(0, 1)
}

/** Smallest and largest offset in [lo, hi], sampled; a chunk holds at most one transition. */
function offsetRange(lo: number, hi: number, offsetAt: OffsetAt): { min: number; max: number } {
  const seen: number[] = [offsetAt(hi)]
  for (let t = lo; t < hi; t += OFFSET_SAMPLE_MS) seen.push(offsetAt(t))
  return { min: Math.min(...seen), max: Math.max(...seen) }
}

// ---------------------------------------------------------------- expansion

/**
 * Start of the rule's period containing floating `ms`, aligned to INTERVAL from ANCHOR_MS.
 * Starting rrule there keeps each chunk cheap (rrule walks from DTSTART) and makes fields the
 * rule leaves out default to the period's start, as in cron: FREQ=DAILY alone means 00:00.
 */
function periodStart(ms: number, freq: number, interval: number): Date {
  const fixed = FIXED_PERIOD_MS[freq]
  if (fixed !== undefined) {
    const step = fixed * interval
    return new Date(ANCHOR_MS + Math.floor((ms - ANCHOR_MS) / step) * step)
  }
  const d = new Date(ms)
  const months = freq === RRule.MONTHLY ? interval : 12 * interval
  const index = (d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth()
  return new Date(Date.UTC(2000, Math.floor(index / months) * months, 1))
}

/** All instants in (lo, hi], sorted; repeated hours can interleave, hence the sort. */
function expandChunk(options: Partial<Options> & { freq: number }, offsetAt: OffsetAt,
  pinsWallTime: boolean, lo: number, hi: number): number[] {
  const { min, max } = offsetRange(lo, hi, offsetAt)
  const dtstart = periodStart(lo + min, options.freq, options.interval ?? 1)
  const walls = new RRule({ ...options, dtstart }, true).between(new Date(lo + min), new Date(hi + max), true)
  // No transition in the chunk (the common case): one subtraction, no Intl call per occurrence.
  const convert = min === max ? (w: number) => [w - min] : (w: number) => toInstants(w, offsetAt, pinsWallTime)
  const out = new Set<number>()
  for (const wall of walls) for (const i of convert(wall.getTime())) if (i > lo && i <= hi) out.add(i)
  return [...out].sort((a, b) => a - b)
}

type Expand = (lo: number, hi: number) => number[]

/** Walks (after, until] chunk by chunk, oldest first, until `visit` returns false. */
function walkForward(expand: Expand, chunk: number, after: number, until: number, visit: (i: number) => boolean): void {
  for (let lo = after; lo < until; lo += chunk) {
    for (const i of expand(lo, Math.min(lo + chunk, until))) if (!visit(i)) return
  }
}

function buildSchedule(rule: string, timeZone: string, expand: Expand, chunk: number): Schedule {
  const occurrencesBetween = (after: Date, until: Date, limit: number): Date[] => {
    const out: Date[] = []
    if (limit <= 0) return out
    walkForward(expand, chunk, after.getTime(), until.getTime(), (i) => out.push(new Date(i)) < limit)
    return out
  }
  const latestBetween = (after: Date, until: Date, limit: number): { instants: Date[]; skipped: number } => {
    const all: number[] = []
    walkForward(expand, chunk, after.getTime(), until.getTime(), (i) => all.push(i) > 0)
    const keep = Math.max(0, Math.min(limit, all.length))
    return { instants: all.slice(all.length - keep).map((i) => new Date(i)), skipped: all.length - keep }
  }
  const next = (after: Date): Date | null =>
    occurrencesBetween(after, new Date(after.getTime() + HORIZON_MS), 1)[0] ?? null
  const previous = (at: Date): Date | null => lastBefore(expand, chunk, at.getTime())
  return { rule, timeZone, occurrencesBetween, latestBetween, next, previous }
}

/** Walks backwards from `at` chunk by chunk for the newest instant at or before it. */
function lastBefore(expand: Expand, chunk: number, at: number): Date | null {
  for (let hi = at; hi > at - HORIZON_MS; hi -= chunk) {
    const found = expand(hi - chunk, hi).at(-1)
    if (found !== undefined) return new Date(found)
  }
  return null
}
