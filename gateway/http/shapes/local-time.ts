/**
 * Local wall-clock timestamps (seed 002's `"timestamp": "2024-01-15 10:00:00"`, written in
 * UTC+8 by its §2.1) → ISO 8601 with the zone's offset at that instant, e.g.
 * `2024-01-15T10:00:00+08:00`. The wall time is kept as written and only the offset is added,
 * so `event_time` still reads as the client wrote it (SPEC §2).
 *
 * DST, where the zone has it:
 * - a wall time skipped by spring-forward (America/New_York 2024-03-10 02:30) never happened:
 *   refused, naming the gap. Guessing which side the client meant would move the event by an
 *   hour without a trace.
 * - a wall time repeated by fall-back (2024-11-03 01:30 happens at -04:00 and again at -05:00)
 *   is read as the earlier instant, the first time the clock showed it; cron does the same for
 *   repeated times (processors/jobs/schedule.ts), and a client cannot tell us which it meant.
 * Offsets come from Intl (the ICU zone database Node ships), so past rules hold too: Shanghai
 * kept DST from 1986 to 1991.
 */
import { offsetReader } from '../../../processors/jobs/schedule.js'

/** The zone's UTC offset (ms) at an instant. */
type OffsetAt = ReturnType<typeof offsetReader>

export type LocalTime = { ok: true; iso: string } | { ok: false; message: string }

/** `YYYY-MM-DD HH:mm[:ss[.fff]]`, with a space or a `T`, and no zone. */
const WALL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/

const SECOND = 1000
const DAY = 86_400_000

/** Intl formatters cost far more to build than to use: one per zone, kept. */
const readers = new Map<string, OffsetAt>()
function offsetsOf(timeZone: string): OffsetAt {
  let reader = readers.get(timeZone)
  if (reader === undefined) readers.set(timeZone, reader = offsetReader(timeZone))
  return reader
}

/** True for a string without a zone that this module reads; anything else is left to parseTimestamp. */
export const isWallTime = (value: unknown): value is string => typeof value === 'string' && WALL.test(value)

export function wallTimeToIso(text: string, timeZone: string): LocalTime {
  const m = WALL.exec(text)
  if (m === null) return { ok: false, message: `${JSON.stringify(text)} is not YYYY-MM-DD HH:mm:ss` }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((p) => Number(p ?? 0)) as [number, number, number, number, number, number]
  const wall = wallMs(y, mo, d, h, mi, s)
  if (wall === undefined) return { ok: false, message: `${JSON.stringify(text)} is not a real date and time` }
  const offsetAt = offsetsOf(timeZone)
  const instants = exactInstants(wall, offsetAt)
  const first = instants[0]
  if (first === undefined) return { ok: false, message: gapMessage(text, wall, timeZone, offsetAt) }
  const offset = wall - first
  // Offsets of local mean time (Shanghai before 1901: +08:05:43) cannot be written ±HH:MM.
  if (offset % 60_000 !== 0) return { ok: true, iso: new Date(first + Math.round(Number(`0${m[7] ?? ''}`) * SECOND)).toISOString() }
  return { ok: true, iso: `${text.slice(0, 10)}T${text.slice(11)}${formatOffset(offset)}` }
}

/** The wall time's fields as a UTC instant, or undefined if the date or time does not exist. */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d) // Date.UTC would read years 0–99 as 1900–1999
  date.setUTCHours(h, mi, s)
  const same = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d &&
    date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s
  return same ? date.getTime() : undefined
}

/** Every instant whose wall clock reads `wall`, earliest first: none in a gap, two in a repeated hour. */
function exactInstants(wall: number, offsetAt: OffsetAt): number[] {
  const offsets = new Set([offsetAt(wall - DAY), offsetAt(wall), offsetAt(wall + DAY)])
  return [...offsets].map((o) => wall - o).filter((i) => offsetAt(i) === wall - i).sort((a, b) => a - b)
}

function gapMessage(text: string, wall: number, timeZone: string, offsetAt: OffsetAt): string {
  const before = offsetAt(wall - DAY)
  const after = offsetAt(wall + DAY)
  const change = transition(wall - after, wall - before, offsetAt)
  const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19)
  return `${text} does not exist in ${timeZone}: clocks went from ${clock(change + before)} to ${clock(change + after)} ` +
    `(${formatOffset(before)} to ${formatOffset(after)}) that day`
}

/** The first instant on the new offset, between `lo` (still on the old one) and `hi` (on the new one), to the second. */
function transition(lo: number, hi: number, offsetAt: OffsetAt): number {
  const old = offsetAt(lo)
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / SECOND / 2) * SECOND
    if (offsetAt(mid) === old) lo = mid
    else hi = mid
  }
  return hi
}

function formatOffset(ms: number): string {
  const minutes = Math.abs(ms) / 60_000
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0')
  return `${ms < 0 ? '-' : '+'}${pad(minutes / 60)}:${pad(minutes % 60)}`
}
