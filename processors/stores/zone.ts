import { offsetReader } from '../jobs/schedule.js'

const DAY = 86_400_000

/**
 * Wall clocks of one IANA zone. A wall time is "floating": a millisecond count whose UTC
 * fields read as the local date and time (what rrule computes in). Offsets come from Intl,
 * which knows the zone's history, never from the process's own zone.
 */
export interface Zone {
  readonly tzid: string
  /** The wall time at an instant. */
  wallOf(instantMs: number): number
  /**
   * The instant a wall time stands for, as RFC 5545 §3.3.5 reads a DATE-TIME with a TZID: a
   * wall time repeated by a fall-back is its first occurrence; one skipped by a spring-forward
   * is read with the offset before the gap (New York's 02:30 on a spring-forward day is
   * 03:30 EDT).
   */
  instantOf(wallMs: number): number
}

/** Whether `tzid` names a zone Intl knows, spelt as IANA names are (`Europe/Berlin`, `UTC`). */
export function isTimeZone(tzid: unknown): tzid is string {
  if (typeof tzid !== 'string' || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tzid)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tzid })
    return true
  } catch {
    return false
  }
}

export function zoneOf(tzid: string): Zone {
  const offsetAt = offsetReader(tzid)
  return {
    tzid,
    wallOf: (instantMs) => instantMs + offsetAt(instantMs),
    instantOf(wallMs) {
      // tzdb has no two transitions within two days, so the offsets a day either side are the
      // ones around any transition near this wall time.
      const before = offsetAt(wallMs - DAY)
      const after = offsetAt(wallMs + DAY)
      const candidates = [wallMs - Math.max(before, after), wallMs - Math.min(before, after)]
      const exact = candidates.find((i) => offsetAt(i) === wallMs - i)
      return exact ?? wallMs - before
    }
  }
}
