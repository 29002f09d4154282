/**
 * Clock helpers: ISO instants, the statistics design's local wall time (seed 002 §2.1 writes
 * `2024-01-15 10:00:00` in UTC+8; the gateway reads it in PULSEGATE_TIMEZONE), and the
 * simulation's time scale.
 */
const MINUTE = 60_000

export const iso = (ms: number): string => new Date(ms).toISOString()

/** One formatter per zone: Intl formatters cost far more to build than to use. */
const formatters = new Map<string, Intl.DateTimeFormat>()

/** `YYYY-MM-DD HH:mm:ss` of the instant in `timeZone`. */
export function wallTime(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
    })
    formatters.set(timeZone, f)
  }
  const part = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`
}

/**
 * Time as a flow lives it. `span` compresses a nominal duration by `timeScale` but never below
 * a second, so the steps of a flow stay in order and in distinct seconds (derived event ids
 * hash the event time to the second). `gap` compresses arrival gaps without a floor.
 */
export interface Pace {
  span(nominalMs: number): number
  gap(nominalMs: number): number
}

export function paceOf(timeScale: number): Pace {
  return {
    span: (ms) => Math.max(1000, Math.round(ms * timeScale)),
    gap: (ms) => ms * timeScale
  }
}

export const minutes = (n: number): number => n * MINUTE
export const seconds = (n: number): number => n * 1000
