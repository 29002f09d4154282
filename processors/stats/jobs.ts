/**
 * The statistics schedule (SPEC §8), on the job runner (run once across replicas, resumed after
 * downtime, failures and durations in `pulsegate_job_*` metrics). Wall-clock times are in the
 * runner's zone, which is the statistics zone:
 *
 * - `stats.hourly`, every hour at :05: the day of the hour just ended, and today so far;
 * - `stats.daily`, 02:00: yesterday, final, and the days before it that a `followed`/`span`
 *   metric can still change (the catalog's longest `within`); missed days are replayed in order;
 * - `stats.weekly`, Monday 03:00, and `stats.monthly`, the 1st at 04:00: the period just ended;
 * - `stats.dirty`, every minute: days a late event touched after they were computed, oldest
 *   first, with their week and month when those have ended;
 * - `stats.business`, every minute: today's once-per-user figures (real-name, card binding, new
 *   members…), so business counts are visible within a minute.
 *
 * After the daily run, yesterday's figures are checked (checks.ts) and the results published.
 */
import type { JobDefinition } from '../jobs/types.js'
import type { Catalog } from './catalog.js'
import { checkDay } from './checks.js'
import { localDate, periodOf, previousPeriod, type Period } from './periods.js'
import { dirtyDays } from './dirty.js'
import { recomputePeriod, type StatsDeps } from './rollup.js'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** Dirty days one run recomputes at most; the next run, a minute later, goes on. */
const DIRTY_PER_RUN = 31

export function statsJobs(deps: StatsDeps, now: () => number = Date.now): JobDefinition[] {
  const tz = deps.timeZone
  const day = (ms: number): string => localDate(ms, tz)
  return [
    {
      name: 'stats.hourly', schedule: 'FREQ=HOURLY;BYMINUTE=5;BYSECOND=0', catchUp: 'latest', timeoutMs: 50 * 60_000,
      run: async ({ scheduledAt }) => {
        const at = scheduledAt.getTime()
        for (const d of new Set([day(at - HOUR_MS), day(at)])) await recomputePeriod(deps, periodOf('day', d))
      }
    },
    {
      name: 'stats.daily', schedule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0', catchUp: 'all', timeoutMs: 6 * HOUR_MS,
      run: async ({ scheduledAt }) => {
        const yesterday = periodOf('day', day(scheduledAt.getTime() - DAY_MS))
        const settle = Math.ceil(deps.catalog.settleMs / DAY_MS)
        const days: Period[] = [yesterday]
        while (days.length <= settle) days.unshift(previousPeriod(days[0] as Period))
        for (const p of days) await recomputePeriod(deps, p)
        if (deps.realtimeDay !== undefined) deps.observe?.checked(await checkDay(deps, yesterday.start, deps.realtimeDay))
      }
    },
    {
      name: 'stats.weekly', schedule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=3;BYMINUTE=0;BYSECOND=0', catchUp: 'all', timeoutMs: 6 * HOUR_MS,
      run: async ({ scheduledAt }) => { await recomputePeriod(deps, previousPeriod(periodOf('week', day(scheduledAt.getTime())))) }
    },
    {
      name: 'stats.monthly', schedule: 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=4;BYMINUTE=0;BYSECOND=0', catchUp: 'all', timeoutMs: 6 * HOUR_MS,
      run: async ({ scheduledAt }) => { await recomputePeriod(deps, previousPeriod(periodOf('month', day(scheduledAt.getTime())))) }
    },
    {
      name: 'stats.dirty', schedule: 'FREQ=MINUTELY;BYSECOND=30', catchUp: 'latest', timeoutMs: 50 * 60_000,
      run: async ({ signal }) => { await recomputeDirty(deps, day(now()), signal) }
    },
    {
      name: 'stats.business', schedule: 'FREQ=MINUTELY;BYSECOND=0', catchUp: 'latest', timeoutMs: 55_000,
      run: async () => { await recomputePeriod(deps, periodOf('day', day(now())), { metrics: businessMetrics(deps.catalog) }) }
    }
  ]
}

/**
 * Recomputes the dirty days, oldest first, and the weeks and months holding them that have
 * ended by `today`. Returns the days done.
 */
export async function recomputeDirty(deps: StatsDeps, today: string, signal?: AbortSignal): Promise<string[]> {
  const done: string[] = []
  for (const d of (await dirtyDays(deps.db)).slice(0, DIRTY_PER_RUN)) {
    if (signal?.aborted === true) break
    await recomputePeriod(deps, periodOf('day', d))
    for (const kind of ['week', 'month'] as const) {
      const p = periodOf(kind, d)
      if (p.end <= today) await recomputePeriod(deps, p)
    }
    done.push(d)
  }
  deps.observe?.dirtyDays((await dirtyDays(deps.db)).length)
  return done
}

/** Once-per-user metrics, and running totals that read only them: today's business counts. */
export function businessMetrics(catalog: Catalog): string[] {
  const firsts = new Set(catalog.metrics.filter((m) => m.kind === 'first_time').map((m) => m.name))
  const totals = catalog.metrics.filter((m) => m.kind === 'cumulative' && [...m.plus, ...m.minus].every((n) => firsts.has(n)))
  return [...firsts, ...totals.map((m) => m.name)]
}
