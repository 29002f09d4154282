/**
 * Backfill (`pulsegate stats recompute --from --to`, SPEC §8): every day of the range in order,
 * then the weeks and months it touches that have ended, then the running totals once from the
 * first day. Days whose events have passed retention are refused before anything is written:
 * recomputing them would replace their figures with zeros.
 */
import { errors, PulseGateError } from '../errors.js'
import { daysBetween, periodOf, type Period } from './periods.js'
import { recomputePeriod, refreshCumulative, type StatsDeps } from './rollup.js'

export interface RecomputeProgress { done: number; total: number; period: Period }

export interface RecomputeRange { from: string; to: string; today: string; oldestKept: string }

/** The periods a range recomputes, in order: its days, then the weeks and months they touch that have ended. */
export function planRecompute(r: RecomputeRange): Period[] {
  if (r.from > r.to) throw new PulseGateError(errors.STATS_QUERY_INVALID, `from (${r.from}) is after to (${r.to})`, { details: { path: '/from' } })
  if (r.from < r.oldestKept) {
    throw new PulseGateError(errors.STATS_QUERY_INVALID, `events before ${r.oldestKept} have passed retention (PULSEGATE_RETENTION_DAYS): recomputing ${r.from} would erase its figures`, { details: { path: '/from' } })
  }
  const to = r.to < r.today ? r.to : r.today
  const days = daysBetween(r.from, to).map((d) => periodOf('day', d))
  const longer = new Map<string, Period>()
  for (const d of days) {
    for (const kind of ['week', 'month'] as const) {
      const p = periodOf(kind, d.start)
      if (p.end <= r.today && p.start >= r.oldestKept) longer.set(`${kind}:${p.start}`, p)
    }
  }
  return [...days, ...longer.values()]
}

export async function recomputeRange(deps: StatsDeps, r: RecomputeRange, onProgress: (p: RecomputeProgress) => void = () => {}, signal?: AbortSignal): Promise<number> {
  const plan = planRecompute(r)
  let done = 0
  for (const period of plan) {
    if (signal?.aborted === true) break
    await recomputePeriod(deps, period, { cumulative: false })
    onProgress({ done: ++done, total: plan.length, period })
  }
  await refreshCumulative(deps, r.from)
  return done
}
