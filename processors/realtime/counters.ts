import type { CanonicalEvent } from '../pipeline/event.js'
import type { RealtimeMetric } from '../stats/realtime-metric.js'

/**
 * Realtime counters (SPEC §7, §8): every realtime catalog metric per local day and per minute,
 * fed with committed events. The embedded implementation keeps them in memory
 * (`memory-counters.ts`); the full stack keeps them in Redis (`redis-counters.ts`) behind this
 * same interface, and one contract suite runs against both.
 */
export interface RealtimeCounters {
  /**
   * Counts committed events (call after the commit); resolves once applied (Redis: written).
   * Never rejects: a failure is counted in `errors()` and handed to the `onError` option.
   */
  record(events: readonly CanonicalEvent[]): Promise<void>
  /** Every metric's value for the local day `day` (`YYYY-MM-DD` in the zone, by `occurredAt`); 0 when nothing counted. */
  day(day: string): Promise<Record<string, number>>
  /** Every metric over the window ending at `nowMs`, by whole minutes of `occurredAt`: '5m' is the current minute and the 4 before. */
  window(w: RollingWindow, nowMs?: number): Promise<Record<string, number>>
  /** record() calls that were not (fully) applied: a backend failure, or a metric that threw or gave a bad value. */
  errors(): number
  close(): Promise<void>
}

export type RollingWindow = '1m' | '5m' | '1h'

/** Minutes in each rolling window. */
export const WINDOW_MINUTES: Readonly<Record<RollingWindow, number>> = { '1m': 1, '5m': 5, '1h': 60 }

/** What every implementation is built from. */
export interface CountersOptions {
  /** IANA zone the local days are in (SPEC §8: UTC+8 by default). */
  timeZone: string
  /** The realtime metrics of the catalog, compiled once. */
  metrics: readonly RealtimeMetric[]
  /** Told of every counted failure (the gateway logs it); must not throw. */
  onError?: (err: Error) => void
}

const MINUTE_MS = 60_000

/** Epoch minute of an instant: whole minutes are the same in every zone we count in. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS)

/** The epoch minutes of window `w` ending at `nowMs`, oldest first. */
export function windowMinutes(w: RollingWindow, nowMs: number): number[] {
  const last = minuteOf(nowMs)
  const n = WINDOW_MINUTES[w]
  return Array.from({ length: n }, (_, i) => last - n + 1 + i)
}

/** Every zone's offset, and so every local midnight, falls on a quarter hour of UTC. */
const QUARTER_HOUR_MS = 900_000

/**
 * Local calendar day of an instant in `timeZone`, as `YYYY-MM-DD`. Intl formatting costs
 * about a microsecond; the events of one batch almost always share a quarter hour, so the
 * last quarter hour's answer is remembered.
 */
export function localDay(timeZone: string): (ms: number) => string {
  // en-CA formats dates as YYYY-MM-DD; built once, reused per event.
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
  let lastQuarter = NaN
  let lastDay = ''
  return (ms) => {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS)
    if (quarter !== lastQuarter) {
      lastQuarter = quarter
      lastDay = fmt.format(quarter * QUARTER_HOUR_MS)
    }
    return lastDay
  }
}
