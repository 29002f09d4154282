import type { CanonicalEvent } from '../pipeline/event.js'

/**
 * Realtime counters per local day (SPEC §7): events by name and distinct users. The embedded
 * implementation keeps them in memory; the full stack keeps them in Redis (INCR, PFADD) behind
 * this same interface.
 */
export interface RealtimeCounters {
  /** Counts committed events; call only after the commit. */
  record(events: readonly CanonicalEvent[]): void
  /** `day` is `YYYY-MM-DD` in the configured zone. */
  snapshot(day: string): Promise<DaySnapshot>
}

export interface DaySnapshot {
  day: string
  events: Record<string, number>
  uniqueUsers: number
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

const KEEP_DAYS = 7

export function createMemoryCounters(timeZone: string): RealtimeCounters {
  const dayOf = localDay(timeZone)
  const days = new Map<string, { events: Map<string, number>; users: Set<string> }>()
  const bucket = (day: string) => {
    let b = days.get(day)
    if (b === undefined) {
      b = { events: new Map(), users: new Set() }
      days.set(day, b)
      if (days.size > KEEP_DAYS) days.delete([...days.keys()].sort()[0] as string)
    }
    return b
  }
  return {
    record(events) {
      for (const e of events) {
        const b = bucket(dayOf(e.occurredAt))
        b.events.set(e.eventName, (b.events.get(e.eventName) ?? 0) + 1)
        const who = e.userId ?? e.deviceId
        if (who !== null) b.users.add(who)
      }
    },
    async snapshot(day) {
      const b = days.get(day)
      return { day, events: Object.fromEntries(b?.events ?? []), uniqueUsers: b?.users.size ?? 0 }
    }
  }
}
