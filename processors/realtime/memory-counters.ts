import { localDay, windowMinutes, type CountersOptions, type RealtimeCounters } from './counters.js'
import { emptyBucket, tallyBatch, valuesOf, type Bucket } from './tally.js'

/** Local days kept: a week, as the Redis day keys' TTL. */
const KEEP_DAYS = 7
/** Minutes kept: the 1 h window and the minute being filled. */
const KEEP_MINUTES = 61

/**
 * The embedded counters: exact (a Set per unique metric), in this process, lost at restart.
 * record() updates the state synchronously, before it returns: the gateway calls it without
 * awaiting after a commit, and the events are visible by the time the answer leaves.
 * It keeps the 7 most recent local days and the 61 most recent minutes it has seen (by key,
 * not by the clock, so a late event never evicts the present).
 */
export function createMemoryCounters(opts: CountersOptions): RealtimeCounters {
  const dayOf = localDay(opts.timeZone)
  const days = new Map<string, Bucket>()
  const minutes = new Map<number, Bucket>()
  const sink = { day: bucketIn(days, KEEP_DAYS), minute: bucketIn(minutes, KEEP_MINUTES) }
  let errors = 0
  return {
    record(events) {
      const failure = tallyBatch(events, opts.metrics, dayOf, sink)
      if (failure !== undefined) {
        errors++
        opts.onError?.(failure)
      }
      return Promise.resolve()
    },
    day: (day) => Promise.resolve(valuesOf(opts.metrics, [days.get(day)].filter((b) => b !== undefined))),
    window(w, nowMs = Date.now()) {
      const buckets = windowMinutes(w, nowMs).map((m) => minutes.get(m)).filter((b) => b !== undefined)
      return Promise.resolve(valuesOf(opts.metrics, buckets))
    },
    errors: () => errors,
    close: () => Promise.resolve()
  }
}

/** The bucket of `key`, made on first use; beyond `keep` buckets the oldest key goes. */
function bucketIn<K extends string | number>(buckets: Map<K, Bucket>, keep: number): (key: K) => Bucket {
  return (key) => {
    let b = buckets.get(key)
    if (b === undefined) {
      b = emptyBucket()
      buckets.set(key, b)
      if (buckets.size > keep) buckets.delete(oldest(buckets.keys()))
    }
    return b
  }
}

function oldest<K extends string | number>(keys: Iterable<K>): K {
  let min: K | undefined
  for (const k of keys) if (min === undefined || k < min) min = k
  return min as K
}
