import type { Zone } from './zone.js'

const SECOND = 1000
const DAY = 86_400_000

/**
 * An opening's length, as RFC 5545 §3.3.6 reads a DURATION: weeks and days are nominal
 * (calendar days: a day across a DST change lasts 23 or 25 hours, and `P1D` from 10:00 ends at
 * 10:00), hours, minutes and seconds are exact (`PT10H` from 18:00 on a spring-forward night
 * ends at 05:00 local). The nominal part is added first, then the exact part, as RFC 5545 and
 * Temporal's ZonedDateTime.add do.
 */
export interface Duration {
  days: number
  exactMs: number
}

/** The longest opening accepted: a whole week (`P7D`, `P1W`, `PT168H`). */
export const MAX_DURATION_MS = 7 * DAY

const PATTERN = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/

/** Parses `PT14H`, `PT30M`, `PT1H30M`, `P1D`, `P1W`; null for anything else, zero, or over a week. */
export function parseDuration(text: string): Duration | null {
  const m = PATTERN.exec(text)
  if (m === null || text.endsWith('T') || text === 'P') return null
  const n = (i: number): number => Number(m[i] ?? 0)
  const duration = { days: n(1) * 7 + n(2), exactMs: ((n(3) * 60 + n(4)) * 60 + n(5)) * SECOND }
  const nominalMs = duration.days * DAY + duration.exactMs
  return nominalMs > 0 && nominalMs <= MAX_DURATION_MS ? duration : null
}

/** The instant an opening that starts at `startWallMs` (wall time) ends. */
export function endOf(zone: Zone, startWallMs: number, startMs: number, d: Duration): number {
  const afterDays = d.days === 0 ? startMs : zone.instantOf(startWallMs + d.days * DAY)
  return afterDays + d.exactMs
}

/** The most an opening can last in elapsed time: a week plus a DST change. */
export const maxSpanMs = (d: Duration): number => d.days * (DAY + 3_600_000) + d.exactMs
