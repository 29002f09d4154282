import type { CanonicalEvent } from '../pipeline/event.js'

/**
 * A catalog metric as the realtime counters see it (SPEC §8): a filter on one committed event
 * and what the event adds. Only metrics that one event decides on its own can be realtime —
 * counts, unique counts and sums; once-per-user, cumulative and ratio metrics need history and
 * come from the rollups.
 */
export type RealtimeKind = 'count' | 'unique' | 'sum'

export interface RealtimeMetric {
  readonly name: string
  readonly kind: RealtimeKind
  /** Whether a committed event counts toward this metric. */
  matches(e: CanonicalEvent): boolean
  /**
   * `unique`: the identity counted; `sum`: an integer amount (money in minor units); null: the
   * event adds nothing. Ignored for `count`.
   */
  value(e: CanonicalEvent): string | number | null
}
