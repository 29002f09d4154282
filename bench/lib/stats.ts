/**
 * The few statistics the benchmarks print. Rounds are few (3 by default) and timings move
 * ±20–30 % between runs on a shared machine, so a round's figure is summarised by the median,
 * which one slow round cannot drag, and never by the mean.
 */

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export interface Latency { p50: number; p99: number; max: number; count: number }

/** p50/p99/max of latencies in milliseconds (sorts a copy; typed arrays sort numerically). */
export function latencyOf(samplesMs: readonly number[] | Float64Array): Latency {
  const sorted = Float64Array.from(samplesMs).sort()
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, count: sorted.length }
}

/** `12,345` — rates are read at a glance, so no decimals above 100. */
export function fmtRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a'
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1)
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`
}

export function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a'
}
