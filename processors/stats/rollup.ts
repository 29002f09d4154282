/**
 * Recomputing a period's statistics (SPEC §8). Reading and writing are apart on purpose:
 *
 * - the figures are read with one statement per metric, outside any transaction, so on PGlite
 *   (one connection) event commits run between them instead of waiting for the whole period;
 * - they are written in one short transaction that replaces the period's rows, so a reader
 *   sees the old figures or the new ones, never a mix, and running it twice leaves the same rows.
 *
 * A commit that lands on a day after its figures were read marks the day dirty (stats_dirty,
 * from the event store's write), and the mark outlives this recomputation: it is cleared only
 * if it is older than the start of the read.
 */
import type { Db, Queryable } from '../db/db.js'
import { toJsonParam } from '../store/rows.js'
import { inputsOf, isAdditive, type Catalog, type Metric } from './catalog.js'
import type { DayChecks } from './checks.js'
import { storeCapacity, utilizationFigures } from './capacity.js'
import { markDirty } from './dirty.js'
import type { Period } from './periods.js'
import { boundsOf, computeBase, eventNamesIn, mayCount, recordFirsts, recordFirstSeen, type Figure } from './sql.js'

export interface StatsDeps {
  db: Db
  catalog: Catalog
  timeZone: string
  /** Told of each recomputation, the dirty-day backlog and the checks, for metrics and logs. */
  observe?: StatsObserver
  /** The realtime counters' figures of a local day, for the realtime check. */
  realtimeDay?: (day: string) => Promise<Record<string, number>>
}

export interface StatsObserver {
  computed(period: Period, seconds: number): void
  dirtyDays(count: number): void
  checked(checks: DayChecks): void
}

export interface RecomputeResult {
  period: Period
  /** Rows written (hours and the period's own). */
  rows: number
  /** Other local days whose once-per-user figures moved: marked dirty. */
  moved: string[]
}

const ROUND = 1e6

/**
 * One turn of the event loop before each statement. PGlite runs a statement synchronously on
 * this thread and settles its promise as a microtask: a chain of statements would run to its
 * end before any socket is read, and PGlite's lock lets the chain cut in ahead of a waiting
 * group commit. With a turn between statements, a recomputation delays an acknowledgement by
 * one statement at most (test/gateway/stats-checks.test.ts).
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Recomputes every metric of `period` (or only `metrics`); a day also gets its local hours.
 * With `cumulative` (default), running totals from this period on are refreshed too; a backfill
 * over many days turns it off and refreshes once at the end (refreshCumulative).
 *
 * A partial recomputation (`metrics`, the minutely business counts) leaves the first-seen table
 * to the full ones: a user first seen since the last full run reads `unknown` in the
 * `user_type` breakdown until the next hourly run.
 */
export async function recomputePeriod(deps: StatsDeps, period: Period, opts: { cumulative?: boolean; metrics?: readonly string[] } = {}): Promise<RecomputeResult> {
  const { db, catalog, timeZone } = deps
  const only = opts.metrics === undefined ? null : new Set(opts.metrics)
  const selected = only === null ? catalog.metrics : catalog.metrics.filter((m) => only.has(m.name))
  const startedAt = new Date()
  const bounds = await boundsOf(db, period.start, period.end, timeZone)
  const moved = new Set<string>()
  if (only === null && catalog.metrics.some((m) => m.dimensions.includes('user_type'))) {
    await nextTurn()
    for (const d of await recordFirstSeen(db, bounds, timeZone)) moved.add(d)
  }
  for (const m of selected) {
    if (m.kind !== 'first_time') continue
    await nextTurn()
    for (const d of await recordFirsts(db, m, bounds, timeZone)) moved.add(d)
  }
  await nextTurn()
  const present = await eventNamesIn(db, bounds)
  const figures = new Map<string, Figure[]>()
  for (const m of selected) {
    if (m.kind === 'cumulative') continue
    if (m.kind === 'ratio') {
      if (figures.has(m.numerator) && figures.has(m.denominator)) figures.set(m.name, ratioFigures(m, figures))
      continue
    }
    await nextTurn()
    if (m.kind === 'utilization') {
      const used = figures.get(m.numerator)
      if (used !== undefined) figures.set(m.name, utilizationFigures(used, await storeCapacity(db, bounds)))
      continue
    }
    figures.set(m.name, mayCount(m, present) ? await computeBase(db, m, bounds, timeZone, period.kind === 'day') : [{ hour: null, dims: {}, value: 0 }])
  }
  const written = figuresToRows(period, figures)
  await nextTurn()
  await db.transaction(async (tx) => {
    await lockWrites(tx)
    const names = JSON.stringify([...figures.keys()])
    if (period.kind === 'day') {
      await tx.query('DELETE FROM stats_hourly WHERE day = $1::date AND metric IN (SELECT json_array_elements_text($2::json))', [period.start, names])
      if (written.hourly.length > 0) await tx.query(INSERT_HOURLY, [toJsonParam(written.hourly)])
    }
    await tx.query('DELETE FROM stats_daily WHERE period = $1 AND period_start = $2::date AND metric IN (SELECT json_array_elements_text($3::json))', [period.kind, period.start, names])
    if (written.periods.length > 0) await tx.query(INSERT_DAILY, [toJsonParam(written.periods)])
    if (opts.cumulative ?? true) await refreshCumulativeIn(tx, selected, period.start, period.kind === 'day' ? null : period)
    if (period.kind === 'day' && only === null) await tx.query('DELETE FROM stats_dirty WHERE day = $1::date AND marked_at <= $2::timestamptz', [period.start, startedAt.toISOString()])
    moved.delete(period.start)
    if (moved.size > 0) await markDirty(tx, [...moved])
  })
  deps.observe?.computed(period, (Date.now() - startedAt.getTime()) / 1000)
  return { period, rows: written.hourly.length + written.periods.length, moved: [...moved].sort() }
}

const INSERT_HOURLY = `INSERT INTO stats_hourly (metric, hour_start, day, dims, value)
SELECT metric, hour_start, day, dims, value FROM json_to_recordset($1::json) AS x(metric text, hour_start timestamptz, day date, dims jsonb, value numeric)`
const INSERT_DAILY = `INSERT INTO stats_daily (metric, period, period_start, dims, value)
SELECT metric, period, period_start, dims, value FROM json_to_recordset($1::json) AS x(metric text, period text, period_start date, dims jsonb, value numeric)`

/**
 * Statistics writes run one at a time across processes: two recomputations of one period (the
 * job and a backfill) would insert the same rows, and so would two refreshes of the running
 * totals of overlapping days. The writes are short; the reads before them run in parallel.
 */
async function lockWrites(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('pulsegate.stats'))")
}

function figuresToRows(period: Period, figures: ReadonlyMap<string, Figure[]>): { hourly: object[]; periods: object[] } {
  const hourly: object[] = []
  const periods: object[] = []
  for (const [metric, list] of figures) {
    for (const f of list) {
      const value = f.value === null || Number.isNaN(f.value) ? null : f.value
      if (f.hour === null) periods.push({ metric, period: period.kind, period_start: period.start, dims: f.dims, value })
      else hourly.push({ metric, hour_start: f.hour.toISOString(), day: period.start, dims: f.dims, value })
    }
  }
  return { hourly, periods }
}

/**
 * numerator / denominator × scale for each hour and dimension value either has; no value
 * (NaN, stored as null) when the denominator is 0 or absent. Rounded to 6 decimals.
 */
function ratioFigures(m: Extract<Metric, { kind: 'ratio' }>, figures: ReadonlyMap<string, Figure[]>): Figure[] {
  const key = (f: Figure): string => `${f.hour?.getTime() ?? ''}|${JSON.stringify(f.dims)}`
  const num = new Map((figures.get(m.numerator) ?? []).map((f) => [key(f), f]))
  const den = new Map((figures.get(m.denominator) ?? []).map((f) => [key(f), f]))
  const out: Figure[] = []
  for (const [k, f] of new Map([...num, ...den])) {
    const d = den.get(k)?.value ?? 0
    const n = num.get(k)?.value ?? 0
    out.push({ hour: f.hour, dims: f.dims, value: d === 0 ? NaN : Math.round((n / d) * m.scale * ROUND) / ROUND })
  }
  return out
}

/**
 * Running totals (cumulative metrics) read the daily rows of their inputs, which are permanent:
 * the value at the end of a period is the sum of every input day before the period's end, plus
 * inputs minus `minus` inputs, per dimension value. Refreshed for every computed day from
 * `fromDay` on and every week or month ending after it, and for `current` (the week or month
 * just computed).
 */
async function refreshCumulativeIn(tx: Queryable, metrics: readonly Metric[], fromDay: string, current: Period | null): Promise<void> {
  for (const m of metrics) {
    if (m.kind !== 'cumulative') continue
    const params = [m.name, JSON.stringify(m.plus), JSON.stringify(inputsOf(m)), fromDay, current?.kind ?? null, current?.start ?? null, current?.end ?? null]
    await tx.query(DELETE_CUMULATIVE, [m.name, fromDay, current?.kind ?? null, current?.start ?? null])
    await tx.query(INSERT_CUMULATIVE, params)
  }
}

const PERIOD_END = `CASE period WHEN 'day' THEN period_start + 1 WHEN 'week' THEN period_start + 7 ELSE (period_start + interval '1 month')::date END`

const DELETE_CUMULATIVE = `DELETE FROM stats_daily WHERE metric = $1 AND (
  (period = 'day' AND period_start >= $2::date) OR (period <> 'day' AND ${PERIOD_END} > $2::date)
  OR (period = $3 AND period_start = $4::date))`

const INSERT_CUMULATIVE = `WITH inputs AS (
  SELECT period_start AS day, dims,
    sum(CASE WHEN metric IN (SELECT json_array_elements_text($2::json)) THEN value ELSE -value END) AS v
  FROM stats_daily WHERE period = 'day' AND metric IN (SELECT json_array_elements_text($3::json)) GROUP BY 1, 2
), targets AS (
  SELECT DISTINCT 'day' AS period, day AS period_start, day + 1 AS period_end FROM inputs WHERE day >= $4::date
  UNION
  SELECT DISTINCT period, period_start, ${PERIOD_END} FROM stats_daily
  WHERE period <> 'day' AND metric IN (SELECT json_array_elements_text($3::json)) AND ${PERIOD_END} > $4::date
  UNION
  SELECT $5::text, $6::date, $7::date WHERE $5::text IS NOT NULL
), keys AS (SELECT DISTINCT dims FROM inputs)
INSERT INTO stats_daily (metric, period, period_start, dims, value)
SELECT $1, t.period, t.period_start, k.dims, sum(i.v)
FROM targets t CROSS JOIN keys k JOIN inputs i ON i.dims = k.dims AND i.day < t.period_end
GROUP BY t.period, t.period_start, k.dims`

/** Refreshes every running total from `fromDay` on, in its own transaction (after a backfill). */
export async function refreshCumulative(deps: StatsDeps, fromDay: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await lockWrites(tx)
    await refreshCumulativeIn(tx, deps.catalog.metrics, fromDay, null)
  })
}

/** Metrics whose day is the sum of its hours (the cross-check of SPEC §8). */
export const additiveMetrics = (catalog: Catalog): string[] => catalog.metrics.filter(isAdditive).map((m) => m.name)
