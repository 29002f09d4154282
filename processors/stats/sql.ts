/**
 * The SQL of the rollups: one statement per metric and period computes the period's total and,
 * for a day, each of its local hours, for `all` and for each dimension at once (GROUPING SETS),
 * so the day and its hours come from one scan of the same rows. Runs unchanged on PGlite and
 * PostgreSQL; times are converted with `AT TIME ZONE`, never the session's zone.
 *
 * Event names, filter values and the zone are parameters; property names and columns come
 * from the compiled catalog, which admits only known columns and `[A-Za-z0-9_]` names.
 */
import type { Queryable } from '../db/db.js'
import { DIMENSIONS, type Dimension, type Field, type Filter, type Metric } from './catalog.js'

/** A period's bounds as UTC instants: [from, to). */
export interface Bounds { from: Date; to: Date }

/** One computed figure: the period total (hour null) or one local hour, for `all` ({}) or one dimension. */
export interface Figure { hour: Date | null; dims: Partial<Record<Dimension, string>>; value: number }

/** Placeholders in order; `add` returns `$n`. */
class Params {
  readonly list: unknown[] = []
  add(v: unknown): string {
    this.list.push(v)
    return `$${this.list.length}`
  }
}

const IDENTITY = (a: string): string => `coalesce(${a}.user_id, ${a}.device_id)`

function fieldSql(alias: string, f: Field): string {
  return 'column' in f ? `${alias}.${f.column}` : `(${alias}.properties ->> '${f.property}')`
}

const textList = (p: Params, values: readonly string[]): string => `ARRAY(SELECT json_array_elements_text(${p.add(JSON.stringify(values))}::json))`

function filterSql(alias: string, filter: Filter, p: Params): string {
  const parts = [`${alias}.event_name = ANY(${textList(p, filter.events)})`]
  for (const { field, values } of filter.where) {
    const f = fieldSql(alias, field)
    const given = values.filter((v): v is string => v !== null)
    const match = given.length > 0 ? `${f} = ANY(${textList(p, given)})` : 'false'
    parts.push(values.includes(null) ? `(${f} IS NULL OR ${match})` : match)
  }
  return parts.join(' AND ')
}

const rangeSql = (column: string, b: Bounds, p: Params): string =>
  `${column} >= ${p.add(b.from.toISOString())}::timestamptz AND ${column} < ${p.add(b.to.toISOString())}::timestamptz`

/**
 * Dimension columns of the inner select, `d_<name>`. `user_type` compares the identity's first
 * event ever (stats_first_seen, alias u) with the event's local day; the rest read the event
 * (alias e) or, for once-per-user metrics, the dims kept with the identity's first event.
 */
function dimensionSql(dims: readonly Dimension[], read: (d: Exclude<Dimension, 'user_type'>) => string, time: string, tz: string): string[] {
  return dims.map((d) => {
    if (d === 'user_type') {
      return `CASE WHEN u.first_at IS NULL THEN 'unknown' WHEN (u.first_at AT TIME ZONE ${tz})::date = (${time} AT TIME ZONE ${tz})::date THEN 'new' ELSE 'returning' END AS d_user_type`
    }
    return `coalesce(${read(d)}, 'unknown') AS d_${d}`
  })
}

const eventDims = (d: Exclude<Dimension, 'user_type'>): string => `e.${DIMENSIONS[d]}`
const firstDims = (d: Exclude<Dimension, 'user_type'>): string => `(f.dims ->> '${d}')`

/** The local hour an instant falls in, as the UTC instant that hour starts (half-hour zones and DST included). */
const hourOf = (t: string, tz: string): string => `${t} - ((${t} AT TIME ZONE ${tz}) - date_trunc('hour', ${t} AT TIME ZONE ${tz}))`

const FIRST_SEEN_JOIN = (who: string): string => `LEFT JOIN stats_first_seen u ON u.identity = ${who}`

/** The inner select of a base metric: its rows with t (time), v (value) and the d_ columns; and the aggregate over them. */
function innerOf(m: Metric, b: Bounds, tz: string, p: Params): { sql: string; agg: string } {
  const dims = m.dimensions
  const needsU = dims.includes('user_type')
  switch (m.kind) {
    case 'count':
    case 'unique':
    case 'sum': {
      if ('source' in m) return pageDurations(dims, b, tz, p)
      const v = m.kind === 'unique' ? (m.of === null ? IDENTITY('e') : fieldSql('e', m.of))
        : m.kind === 'sum' ? `CASE WHEN jsonb_typeof(e.properties -> '${propertyOf(m.value)}') = 'number' THEN (e.properties ->> '${propertyOf(m.value)}')::numeric END`
          : 'NULL'
      const sql = `SELECT e.occurred_at AS t, ${v} AS v${cols(dimensionSql(dims, eventDims, 'e.occurred_at', tz))}
        FROM events e ${needsU ? FIRST_SEEN_JOIN(IDENTITY('e')) : ''}
        WHERE ${filterSql('e', m.filter, p)} AND ${rangeSql('e.occurred_at', b, p)}`
      return { sql, agg: m.kind === 'count' ? 'count(*)' : m.kind === 'unique' ? 'count(DISTINCT v)' : 'coalesce(sum(v), 0)' }
    }
    case 'first_time': {
      const sql = `SELECT f.first_at AS t, NULL AS v${cols(dimensionSql(dims, firstDims, 'f.first_at', tz))}
        FROM stats_firsts f ${needsU ? FIRST_SEEN_JOIN('f.identity') : ''}
        WHERE f.metric = ${p.add(m.name)} AND ${rangeSql('f.first_at', b, p)}`
      return { sql, agg: 'count(*)' }
    }
    case 'followed':
    case 'span': {
      // The first B after each A: a join on the key (hashable) bounded in time, not a lookup per A.
      const key = (a: string): string => fieldSql(a, m.key)
      const within = `${p.add(m.withinMs)}::bigint * interval '1 millisecond'`
      const ahead: Bounds = { from: b.from, to: new Date(b.to.getTime() + m.withinMs) }
      const v = m.kind === 'span' ? `extract(epoch FROM nb.b_at - e.occurred_at) / 60` : 'NULL'
      const sql = `SELECT e.occurred_at AS t, ${v} AS v${cols(dimensionSql(dims, eventDims, 'e.occurred_at', tz))}
        FROM events e ${needsU ? FIRST_SEEN_JOIN(IDENTITY('e')) : ''}
        JOIN (
          SELECT a.app_id, a.event_id, min(bb.occurred_at) AS b_at
          FROM events a JOIN events bb ON ${key('bb')} = ${key('a')} AND bb.occurred_at >= a.occurred_at AND bb.occurred_at <= a.occurred_at + ${within}
          WHERE ${filterSql('a', m.filter, p)} AND ${rangeSql('a.occurred_at', b, p)} AND ${key('a')} IS NOT NULL
            AND bb.event_name = ${p.add(m.then)} AND ${rangeSql('bb.occurred_at', ahead, p)}
          GROUP BY a.app_id, a.event_id
        ) nb ON nb.app_id = e.app_id AND nb.event_id = e.event_id
        WHERE ${filterSql('e', m.filter, p)} AND ${rangeSql('e.occurred_at', b, p)}`
      return { sql, agg: m.kind === 'span' ? 'coalesce(sum(v), 0)' : 'count(*)' }
    }
    case 'ratio':
    case 'cumulative':
    case 'utilization':
      throw new Error(`${m.name}: ${m.kind} metrics are computed from other metrics, not from events`)
  }
}

const cols = (list: string[]): string => list.map((c) => `, ${c}`).join('')
const propertyOf = (f: Field): string => ('property' in f ? f.property : f.column)

const DAY_S = 86_400
/** How far past the period a page view's next event is looked for: the longest duration counted. */
const LOOKAHEAD_MS = DAY_S * 1000

/**
 * Visit durations (SPEC §8, AV): each page_view's duration is the next event of its session if
 * that is a page_leave with a numeric `duration`, else the time to the session's next page_view;
 * the last page of a session without a page_leave has none. Clamped to 1 s…24 h; durations
 * above the period's 99.9th percentile (percentile_cont) are dropped. Views without a session
 * have no duration. The next event may fall up to 24 h after the period.
 */
function pageDurations(dims: readonly Dimension[], b: Bounds, tz: string, p: Params): { sql: string; agg: string } {
  const ahead: Bounds = { from: b.from, to: new Date(b.to.getTime() + LOOKAHEAD_MS) }
  const sql = `WITH s AS (
      SELECT e.*, lead(e.event_name) OVER w AS next_name, lead(e.occurred_at) OVER w AS next_at, lead(e.properties) OVER w AS next_props
      FROM events e
      WHERE e.event_name IN ('page_view', 'page_leave') AND e.session_id IS NOT NULL AND ${rangeSql('e.occurred_at', ahead, p)}
      WINDOW w AS (PARTITION BY e.session_id ORDER BY e.occurred_at, e.event_id)
    ), raw AS (
      SELECT s.*, CASE
          WHEN s.next_name = 'page_leave' AND jsonb_typeof(s.next_props -> 'duration') = 'number' THEN (s.next_props ->> 'duration')::numeric
          WHEN s.next_name = 'page_view' THEN extract(epoch FROM s.next_at - s.occurred_at)
        END AS raw_s
      FROM s WHERE s.event_name = 'page_view' AND ${rangeSql('s.occurred_at', b, p)}
    ), d AS (
      SELECT raw.*, least(greatest(raw.raw_s, 1), ${DAY_S}) AS dur FROM raw WHERE raw.raw_s IS NOT NULL
    ), cut AS (
      -- Read once, as a scalar subquery (an InitPlan): joined, a planner that expects one row of d
      -- re-aggregates d for every row.
      SELECT percentile_cont(0.999) WITHIN GROUP (ORDER BY dur) AS p FROM d
    )
    SELECT e.occurred_at AS t, e.dur AS v${cols(dimensionSql(dims, eventDims, 'e.occurred_at', tz))}
    FROM d e ${dims.includes('user_type') ? FIRST_SEEN_JOIN(IDENTITY('e')) : ''}
    WHERE e.dur <= (SELECT p FROM cut)`
  return { sql, agg: 'coalesce(sum(v), 0)' }
}

/**
 * Computes a base metric over `b`: the total and (with `hourly`) each local hour, for `all` and
 * each of the metric's dimensions. The `all` total is there even when nothing matched (0).
 */
export async function computeBase(db: Queryable, m: Metric, b: Bounds, tz: string, hourly: boolean): Promise<Figure[]> {
  const p = new Params()
  const zone = p.add(tz)
  const { sql: inner, agg } = innerOf(m, b, zone, p)
  const dims = m.dimensions.map((d) => `d_${d}`)
  const sets = [...(hourly ? ['(h)', ...dims.map((d) => `(h, ${d})`)] : []), '()', ...dims.map((d) => `(${d})`)]
  const sql = `SELECT ${hourly ? 'h, GROUPING(h) AS gh' : 'NULL AS h, 1 AS gh'}${dims.map((d) => `, ${d}, GROUPING(${d}) AS g_${d}`).join('')}, (${agg})::text AS value
    FROM (SELECT x.*, ${hourOf('x.t', zone)} AS h FROM (${inner}) x) y
    GROUP BY GROUPING SETS (${sets.join(', ')})`
  const res = await db.query<Record<string, unknown>>(sql, p.list)
  return res.rows.map((r) => {
    const found = m.dimensions.find((d) => Number(r[`g_d_${d}`]) === 0)
    const dims: Figure['dims'] = found === undefined ? {} : { [found]: String(r[`d_${found}`]) }
    return { hour: Number(r.gh) === 0 ? new Date(r.h as string | Date) : null, dims, value: Number(r.value) }
  })
}

/**
 * Records the first matching event of each identity seen in `b` (once-per-user metrics), keeping
 * an earlier one already recorded. Returns the local days whose first events moved earlier, which
 * must be recomputed too.
 */
export async function recordFirsts(db: Queryable, m: Extract<Metric, { kind: 'first_time' }>, b: Bounds, tz: string): Promise<string[]> {
  const p = new Params()
  const zone = p.add(tz)
  const who = m.of === null ? IDENTITY('e') : fieldSql('e', m.of)
  const dimsJson = Object.entries(DIMENSIONS).flatMap(([d, column]) => (column === null ? [] : [`'${d}', e.${column}`])).join(', ')
  const sql = `WITH cand AS (
      SELECT DISTINCT ON (${who}) ${who} AS who, e.occurred_at AS first_at, jsonb_build_object(${dimsJson}) AS dims
      FROM events e WHERE ${filterSql('e', m.filter, p)} AND ${rangeSql('e.occurred_at', b, p)} AND ${who} IS NOT NULL
      ORDER BY ${who}, e.occurred_at, e.event_id
    ), moved AS (
      SELECT f.first_at FROM stats_firsts f JOIN cand c ON c.who = f.identity WHERE f.metric = ${p.add(m.name)} AND f.first_at > c.first_at
    ), up AS (
      INSERT INTO stats_firsts AS f (metric, identity, first_at, dims)
      SELECT ${p.add(m.name)}, who, first_at, dims FROM cand ORDER BY who
      ON CONFLICT (metric, identity) DO UPDATE SET first_at = EXCLUDED.first_at, dims = EXCLUDED.dims WHERE f.first_at > EXCLUDED.first_at
      RETURNING 1
    )
    SELECT DISTINCT (first_at AT TIME ZONE ${zone})::date::text AS day FROM moved`
  const res = await db.query<{ day: string }>(sql, p.list)
  return res.rows.map((r) => r.day)
}

/** Records each identity's first event ever seen in `b` (new vs returning users); as recordFirsts. */
export async function recordFirstSeen(db: Queryable, b: Bounds, tz: string): Promise<string[]> {
  const p = new Params()
  const zone = p.add(tz)
  const sql = `WITH cand AS (
      SELECT ${IDENTITY('e')} AS who, min(e.occurred_at) AS first_at FROM events e
      WHERE ${rangeSql('e.occurred_at', b, p)} AND ${IDENTITY('e')} IS NOT NULL GROUP BY 1
    ), moved AS (
      SELECT s.first_at FROM stats_first_seen s JOIN cand c ON c.who = s.identity WHERE s.first_at > c.first_at
    ), up AS (
      INSERT INTO stats_first_seen AS s (identity, first_at) SELECT who, first_at FROM cand ORDER BY who
      ON CONFLICT (identity) DO UPDATE SET first_at = EXCLUDED.first_at WHERE s.first_at > EXCLUDED.first_at
      RETURNING 1
    )
    SELECT DISTINCT (first_at AT TIME ZONE ${zone})::date::text AS day FROM moved`
  const res = await db.query<{ day: string }>(sql, p.list)
  return res.rows.map((r) => r.day)
}

/** A local date's midnight, and the next period start's, as UTC instants. */
export async function boundsOf(db: Queryable, firstDay: string, endDay: string, tz: string): Promise<Bounds> {
  const res = await db.query<{ f: string | Date; t: string | Date }>(
    'SELECT ($1::date::timestamp AT TIME ZONE $3) AS f, ($2::date::timestamp AT TIME ZONE $3) AS t', [firstDay, endDay, tz])
  const row = res.rows[0] as { f: string | Date; t: string | Date }
  return { from: new Date(row.f), to: new Date(row.t) }
}

/** The names of the events in `b`: a metric none of whose events occur there is 0 without a statement. */
export async function eventNamesIn(db: Queryable, b: Bounds): Promise<Set<string>> {
  const p = new Params()
  const res = await db.query<{ event_name: string }>(`SELECT DISTINCT event_name FROM events e WHERE ${rangeSql('e.occurred_at', b, p)}`, p.list)
  return new Set(res.rows.map((r) => r.event_name))
}

/** Whether a base metric can have a figure other than 0 when only `present` events occur. */
export function mayCount(m: Metric, present: ReadonlySet<string>): boolean {
  if (m.kind === 'sum' && 'source' in m) return present.has('page_view')
  if ('filter' in m) return m.filter.events.some((e) => present.has(e))
  return true
}
