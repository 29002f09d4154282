/**
 * Reading statistics (SPEC §8 and the stats API): computed figures from stats_daily and
 * stats_hourly, and funnels straight from the events.
 */
import type { Queryable } from '../db/db.js'
import { DIMENSIONS, type Dimension } from './catalog.js'
import type { PeriodKind } from './periods.js'

/** `all` ({}), one dimension's value, or every value of one dimension (`by`). */
export type DimensionSelector = { kind: 'all' } | { kind: 'value'; dimension: Dimension; value: string } | { kind: 'by'; dimension: Dimension }

export interface FigureRow {
  /** Local first day of the period, or the hour's start instant (ISO) for hours. */
  period: string
  /** For hours: their local day. */
  day?: string
  /** The dimension value (`by`), absent otherwise. */
  value?: string
  metrics: Record<string, number | null>
}

function dimsCondition(sel: DimensionSelector, params: unknown[]): string {
  if (sel.kind === 'all') return "dims = '{}'::jsonb"
  if (sel.kind === 'by') {
    params.push(sel.dimension)
    return `dims ? $${params.length} AND (SELECT count(*) FROM jsonb_object_keys(dims)) = 1`
  }
  // Only the placeholders the statement uses: PostgreSQL cannot type an unused one and refuses it.
  params.push(JSON.stringify({ [sel.dimension]: sel.value }))
  return `dims = $${params.length}::jsonb`
}

const num = (v: string | null): number | null => (v === null ? null : Number(v))

/** Group rows by (period, dimension value) in first-seen order, one object of metrics each. */
function pivot(rows: Array<{ period: string; day?: string; dim: string | null; metric: string; value: string | null }>, metrics: readonly string[]): FigureRow[] {
  const out = new Map<string, FigureRow>()
  for (const r of rows) {
    const key = `${r.period}|${r.dim ?? ''}`
    let row = out.get(key)
    if (row === undefined) {
      row = { period: r.period, ...(r.day === undefined ? {} : { day: r.day }), ...(r.dim === null ? {} : { value: r.dim }), metrics: Object.fromEntries(metrics.map((m) => [m, null])) }
      out.set(key, row)
    }
    row.metrics[r.metric] = num(r.value)
  }
  return [...out.values()]
}

/** Figures of `metrics` for every period of `kind` starting in [from, to] (local dates). */
export async function readPeriods(db: Queryable, q: { kind: PeriodKind; from: string; to: string; metrics: readonly string[]; dims: DimensionSelector }): Promise<FigureRow[]> {
  const params: unknown[] = [q.kind, q.from, q.to, JSON.stringify(q.metrics)]
  const dimSql = dimsCondition(q.dims, params)
  const dimValue = q.dims.kind === 'by' ? 'dims ->> $5' : 'NULL'
  const res = await db.query<{ period: string; dim: string | null; metric: string; value: string | null }>(
    `SELECT period_start::text AS period, ${dimValue} AS dim, metric, value::text AS value FROM stats_daily
     WHERE period = $1 AND period_start >= $2::date AND period_start <= $3::date
       AND metric IN (SELECT json_array_elements_text($4::json)) AND ${dimSql}
     ORDER BY period_start, dim`, params)
  return pivot(res.rows, q.metrics)
}

/** The local hours of `day` that have figures, in order. */
export async function readHours(db: Queryable, q: { day: string; metrics: readonly string[]; dims: DimensionSelector }): Promise<FigureRow[]> {
  const params: unknown[] = [q.day, JSON.stringify(q.metrics)]
  const dimSql = dimsCondition(q.dims, params)
  const dimValue = q.dims.kind === 'by' ? 'dims ->> $3' : 'NULL'
  const res = await db.query<{ period: Date | string; day: string; dim: string | null; metric: string; value: string | null }>(
    `SELECT hour_start AS period, day::text AS day, ${dimValue} AS dim, metric, value::text AS value FROM stats_hourly
     WHERE day = $1::date AND metric IN (SELECT json_array_elements_text($2::json)) AND ${dimSql}
     ORDER BY hour_start, dim`, params)
  return pivot(res.rows.map((r) => ({ ...r, period: new Date(r.period).toISOString() })), q.metrics)
}

export interface FunnelQuery {
  steps: readonly string[]
  /** Instants: users entering the first step in [from, to). */
  from: Date
  to: Date
  /** Each later step must come within this long of the user's first step. */
  windowMs: number
  /** Split by the first step's store or channel. */
  by: 'store' | 'channel' | null
}

export interface FunnelGroup { value: string | null; steps: Array<{ event: string; users: number }> }

/**
 * An ordered funnel over users (user id, else device id): a user enters with their first
 * step-one event in the range; step k counts when a step-k event follows the user's step k−1
 * (at or after it; strictly after when both steps are the same event) within the window of
 * their entry.
 */
export async function funnel(db: Queryable, q: FunnelQuery): Promise<FunnelGroup[]> {
  const params: unknown[] = [q.from.toISOString(), q.to.toISOString(), q.windowMs]
  const step = (name: string): string => { params.push(name); return `$${params.length}` }
  const who = 'coalesce(e.user_id, e.device_id)'
  const byCol = q.by === null ? 'NULL::text' : `e.${DIMENSIONS[q.by]}`
  const ctes = [`s0 AS (
    SELECT DISTINCT ON (${who}) ${who} AS who, e.occurred_at AS t, e.occurred_at AS t0, ${byCol} AS grp
    FROM events e WHERE e.event_name = ${step(q.steps[0] as string)} AND e.occurred_at >= $1::timestamptz AND e.occurred_at < $2::timestamptz AND ${who} IS NOT NULL
    ORDER BY ${who}, e.occurred_at, e.event_id)`]
  for (let i = 1; i < q.steps.length; i++) {
    ctes.push(`s${i} AS (
      SELECT p.who, min(e.occurred_at) AS t, p.t0, p.grp FROM s${i - 1} p
      JOIN events e ON e.event_name = ${step(q.steps[i] as string)} AND ${who} = p.who
        AND e.occurred_at ${q.steps[i] === q.steps[i - 1] ? '>' : '>='} p.t AND e.occurred_at <= p.t0 + $3::bigint * interval '1 millisecond'
        AND e.occurred_at >= $1::timestamptz AND e.occurred_at <= $2::timestamptz + $3::bigint * interval '1 millisecond'
      GROUP BY p.who, p.t0, p.grp)`)
  }
  const counts = q.steps.map((_, i) => `SELECT ${i} AS step, grp, count(*)::int AS users FROM s${i} GROUP BY grp`).join(' UNION ALL ')
  const res = await db.query<{ step: number; grp: string | null; users: number }>(`WITH ${ctes.join(', ')} ${counts}`, params)
  const groups = new Map<string | null, FunnelGroup>()
  for (const r of res.rows) {
    let g = groups.get(r.grp)
    if (g === undefined) {
      g = { value: r.grp, steps: q.steps.map((event) => ({ event, users: 0 })) }
      groups.set(r.grp, g)
    }
    ;(g.steps[r.step] as { users: number }).users = Number(r.users)
  }
  if (groups.size === 0) groups.set(null, { value: null, steps: q.steps.map((event) => ({ event, users: 0 })) })
  return [...groups.values()].sort((a, b) => (b.steps[0]?.users ?? 0) - (a.steps[0]?.users ?? 0) || String(a.value).localeCompare(String(b.value)))
}
