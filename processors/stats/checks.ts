/**
 * The statistics' own checks (SPEC §8), run after each day's final computation and published as
 * metrics, so a wrong number on a board raises an alert instead of waiting for someone to notice:
 *
 * - hours: each additive metric's day equals the sum of its local hours, for every dimension
 *   value (a unique count is not additive and is not checked this way);
 * - realtime: the realtime counters of the day agree with the computed figures, exactly for
 *   counts and sums, within 2.5 % for unique counts (three standard errors of Redis's
 *   HyperLogLog; the embedded counters are exact).
 *
 * The realtime check holds only while the counters saw the whole day: events after a restart of
 * the embedded counters are rebuilt from the store (rebuild.ts), Redis keeps its own.
 */
import type { Queryable } from '../db/db.js'
import { additiveMetrics, type StatsDeps } from './rollup.js'

/** Allowed relative difference between a realtime unique count and the computed one. */
export const UNIQUE_TOLERANCE = 0.025

export interface HourMismatch { metric: string; dims: Record<string, string>; day: number; hours: number }
export interface RealtimeCheck { metric: string; kind: 'count' | 'unique' | 'sum'; realtime: number; computed: number; deviation: number; ok: boolean }
export interface DayChecks { day: string; hourMismatches: HourMismatch[]; realtime: RealtimeCheck[] }

export async function checkHours(db: Queryable, day: string, metrics: readonly string[]): Promise<HourMismatch[]> {
  const res = await db.query<{ metric: string; dims: Record<string, string>; day_value: string; hours_value: string | null }>(
    `SELECT d.metric, d.dims, d.value::text AS day_value, (
        SELECT sum(h.value)::text FROM stats_hourly h WHERE h.metric = d.metric AND h.day = d.period_start AND h.dims = d.dims
      ) AS hours_value
     FROM stats_daily d
     WHERE d.period = 'day' AND d.period_start = $1::date AND d.metric IN (SELECT json_array_elements_text($2::json))`,
    [day, JSON.stringify(metrics)])
  return res.rows
    .map((r) => ({ metric: r.metric, dims: r.dims, day: Number(r.day_value), hours: Number(r.hours_value ?? 0) }))
    .filter((r) => r.day !== r.hours)
}

export async function checkRealtime(deps: StatsDeps, day: string, counted: Record<string, number>): Promise<RealtimeCheck[]> {
  const names = deps.catalog.realtime.map((m) => m.name)
  const res = await deps.db.query<{ metric: string; value: string }>(
    `SELECT metric, value::text AS value FROM stats_daily
     WHERE period = 'day' AND period_start = $1::date AND dims = '{}' AND metric IN (SELECT json_array_elements_text($2::json))`,
    [day, JSON.stringify(names)])
  const computed = new Map(res.rows.map((r) => [r.metric, Number(r.value)]))
  return deps.catalog.realtime.flatMap((m) => {
    const c = computed.get(m.name)
    if (c === undefined) return []
    const realtime = counted[m.name] ?? 0
    const deviation = c === 0 ? (realtime === 0 ? 0 : 1) : Math.abs(realtime - c) / c
    return [{ metric: m.name, kind: m.kind, realtime, computed: c, deviation, ok: m.kind === 'unique' ? deviation <= UNIQUE_TOLERANCE : realtime === c }]
  })
}

export async function checkDay(deps: StatsDeps, day: string, realtimeDay: (day: string) => Promise<Record<string, number>>): Promise<DayChecks> {
  return {
    day,
    hourMismatches: await checkHours(deps.db, day, additiveMetrics(deps.catalog)),
    realtime: await checkRealtime(deps, day, await realtimeDay(day))
  }
}
