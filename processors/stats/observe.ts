import type { Logger } from 'pino'
import type { Metrics } from '../metrics/metrics.js'
import { localMidnight } from './periods.js'
import type { StatsObserver } from './rollup.js'

/** Statistics work as metrics (`pulsegate_stats_*`), and failed checks as warnings naming what disagrees. */
export function statsObserver(metrics: Metrics, log: Logger, timeZone: string): StatsObserver {
  return {
    computed(period, seconds) {
      metrics.statsRecomputeSeconds.observe({ period: period.kind }, seconds)
      metrics.statsLastComputed.set({ period: period.kind }, Date.now() / 1000)
    },
    dirtyDays(count) { metrics.statsDirtyDays.set(count) },
    checked(c) {
      metrics.statsCheckedDay.set(localMidnight(c.day, timeZone) / 1000)
      metrics.statsHourMismatches.set(c.hourMismatches.length)
      metrics.statsRealtimeMismatches.set(c.realtime.filter((r) => !r.ok).length)
      for (const r of c.realtime) metrics.statsRealtimeDeviation.set({ metric: r.metric }, r.deviation)
      if (c.hourMismatches.length > 0) log.warn({ day: c.day, mismatches: c.hourMismatches.slice(0, 20) }, 'statistics: days differ from the sum of their hours')
      const off = c.realtime.filter((r) => !r.ok)
      if (off.length > 0) log.warn({ day: c.day, metrics: off }, 'statistics: realtime counters disagree with the computed figures')
    }
  }
}
