import type { CanonicalEvent } from '../pipeline/event.js'
import type { RealtimeMetric } from '../stats/realtime-metric.js'
import { minuteOf } from './counters.js'

/**
 * What one local day or one minute holds: the amounts of count and sum metrics and the
 * identities of unique ones. Both implementations tally a batch into these, so they agree on
 * what an event adds; the memory one keeps them, the Redis one turns them into commands.
 */
export interface Bucket {
  amounts: Map<string, number>
  ids: Map<string, Set<string>>
}

export const emptyBucket = (): Bucket => ({ amounts: new Map(), ids: new Map() })

/** Where a batch goes: the bucket of a local day and of an epoch minute, made on first use. */
export interface BucketSink {
  day(day: string): Bucket
  minute(minute: number): Bucket
}

/**
 * Adds every committed event to its day and minute buckets, synchronously. A metric that throws
 * or gives a bad value skips that event for that metric only (one bad event never stops a
 * batch, STYLE §10); the first such error is returned for the caller to count.
 */
export function tallyBatch(
  events: readonly CanonicalEvent[], metrics: readonly RealtimeMetric[], dayOf: (ms: number) => string, sink: BucketSink
): Error | undefined {
  let failure: Error | undefined
  for (const e of events) {
    let day: Bucket | undefined
    let minute: Bucket | undefined
    for (const m of metrics) {
      let c: number | string | null
      try {
        c = contribution(m, e)
      } catch (err) {
        failure ??= new Error(`realtime metric ${m.name} failed on event ${e.eventId}`, { cause: err })
        continue
      }
      if (c === null) continue
      day ??= sink.day(dayOf(e.occurredAt))
      minute ??= sink.minute(minuteOf(e.occurredAt))
      add(day, m.name, c)
      add(minute, m.name, c)
    }
  }
  return failure
}

/** What `e` adds to metric `m`: 1 for a count, the minor-unit amount of a sum, the identity of a unique; null: nothing. */
function contribution(m: RealtimeMetric, e: CanonicalEvent): number | string | null {
  if (!m.matches(e)) return null
  if (m.kind === 'count') return 1
  const v = m.value(e)
  if (v === null) return null
  if (m.kind === 'unique') {
    if (typeof v === 'string' || Number.isFinite(v)) return String(v)
    throw new Error(`unique identity must be a string, got ${String(v)}`)
  }
  // Money is counted in integer minor units: a float would drift (SPEC §8 wants sums exact).
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v
  throw new Error(`sum value must be an integer amount in minor units, got ${JSON.stringify(v)}`)
}

function add(b: Bucket, metric: string, c: number | string): void {
  if (typeof c === 'number') {
    b.amounts.set(metric, (b.amounts.get(metric) ?? 0) + c)
    return
  }
  let ids = b.ids.get(metric)
  if (ids === undefined) b.ids.set(metric, ids = new Set())
  ids.add(c)
}

/** Every metric's value over `buckets`: amounts added up, identities counted once across buckets. */
export function valuesOf(metrics: readonly RealtimeMetric[], buckets: readonly Bucket[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics) {
    if (m.kind !== 'unique') {
      out[m.name] = buckets.reduce((n, b) => n + (b.amounts.get(m.name) ?? 0), 0)
      continue
    }
    out[m.name] = uniqueCount(buckets.map((b) => b.ids.get(m.name)))
  }
  return out
}

function uniqueCount(sets: ReadonlyArray<Set<string> | undefined>): number {
  const present = sets.filter((s) => s !== undefined)
  if (present.length <= 1) return present[0]?.size ?? 0
  const union = new Set<string>()
  for (const s of present) for (const id of s) union.add(id)
  return union.size
}
