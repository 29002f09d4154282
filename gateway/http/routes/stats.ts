import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { audit } from '../../../processors/access/audit.js'
import type { ApiKey } from '../../../processors/access/keys.js'
import { errors, PulseGateError } from '../../../processors/errors.js'
import { parseTimestamp } from '../../../processors/pipeline/time.js'
import { DIMENSIONS, type Dimension } from '../../../processors/stats/catalog.js'
import { addDays, isDate, localDate, localMidnight, periodOf, type PeriodKind } from '../../../processors/stats/periods.js'
import { planRecompute, recomputeRange } from '../../../processors/stats/recompute.js'
import { funnel, readHours, readPeriods, type DimensionSelector, type FigureRow } from '../../../processors/stats/query.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[]
const VALUE = { type: 'string', minLength: 1, maxLength: 256 } as const
const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const
const DIM_FILTERS = Object.fromEntries(DIMENSION_NAMES.map((d) => [d, VALUE]))
const COMMON = {
  metrics: { type: 'string', maxLength: 4096, description: 'Comma-separated metric names; default every metric of the catalog' },
  dimension: { type: 'string', enum: DIMENSION_NAMES, description: 'Break each figure down by every value of this dimension' },
  format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
  ...DIM_FILTERS
} as const
/** Longest range one request may read: a year and a bit of days. */
const MAX_DAYS = 400

type DimQuery = Partial<Record<Dimension, string>> & { metrics?: string; dimension?: Dimension; format?: 'json' | 'csv' }
interface DailyQuery extends DimQuery { date?: string }
interface RangeQuery extends DimQuery { from: string; to: string; period?: PeriodKind }
interface FunnelQuery { steps: string; from?: string; to?: string; window?: string; by?: 'store' | 'channel' }

/**
 * The stats API (SPEC §8), for read keys of all apps and admin keys: the figures are computed
 * over every app, so a key limited to one app is refused rather than shown other apps' numbers.
 * Days are local dates in `PULSEGATE_TIMEZONE`; hours are the instants their local hour starts.
 */
export function statsRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'read' } as const
  const { catalog, timeZone } = svc.stats
  const today = (): string => localDate(Date.now(), timeZone)

  app.get('/v1/stats/metrics', { config }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    return {
      time_zone: timeZone,
      metrics: catalog.metrics.map((m) => ({
        name: m.name, kind: m.kind, title: m.title, unit: m.unit, dimensions: m.dimensions,
        realtime: catalog.realtime.some((r) => r.name === m.name)
      }))
    }
  })

  app.get<{ Querystring: DailyQuery }>('/v1/stats/daily', {
    config, schema: { querystring: { type: 'object', additionalProperties: false, properties: { date: DATE, ...COMMON } } }
  }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    const q = parseCommon(req.query, catalog.byName)
    const date = checkedDate(req.query.date ?? addDays(today(), -1), 'date')
    const rows = await readPeriods(svc.db, { kind: 'day', from: date, to: date, metrics: q.metrics, dims: q.dims })
    return answer(reply, req.query.format, { time_zone: timeZone, period: 'day', date, dimensions: selectorOut(q.dims), rows }, q.metrics)
  })

  app.get<{ Querystring: DailyQuery }>('/v1/stats/hourly', {
    config, schema: { querystring: { type: 'object', additionalProperties: false, properties: { date: DATE, ...COMMON } } }
  }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    const q = parseCommon(req.query, catalog.byName)
    const date = checkedDate(req.query.date ?? today(), 'date')
    const rows = await readHours(svc.db, { day: date, metrics: q.metrics, dims: q.dims })
    return answer(reply, req.query.format, { time_zone: timeZone, period: 'hour', date, dimensions: selectorOut(q.dims), rows }, q.metrics)
  })

  app.get<{ Querystring: RangeQuery }>('/v1/stats/range', {
    config,
    schema: {
      querystring: {
        type: 'object', additionalProperties: false, required: ['from', 'to'],
        properties: { from: DATE, to: DATE, period: { type: 'string', enum: ['day', 'week', 'month'], default: 'day' }, ...COMMON }
      }
    }
  }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    const q = parseCommon(req.query, catalog.byName)
    const from = checkedDate(req.query.from, 'from')
    const to = checkedDate(req.query.to, 'to')
    if (from > to) throw invalid(`from (${from}) is after to (${to})`, '/from')
    if (dayCount(from, to) > MAX_DAYS) throw invalid(`a range reads at most ${MAX_DAYS} days`, '/to')
    const period = req.query.period ?? 'day'
    // A week or month that holds `from` is in the answer, though it starts before.
    const rows = await readPeriods(svc.db, { kind: period, from: periodOf(period, from).start, to, metrics: q.metrics, dims: q.dims })
    return answer(reply, req.query.format, { time_zone: timeZone, period, from, to, dimensions: selectorOut(q.dims), rows }, q.metrics)
  })

  app.get('/v1/stats/realtime', { config }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    const now = Date.now()
    const date = localDate(now, timeZone)
    const [todays, m1, m5, h1, business] = await Promise.all([
      svc.counters.day(date), svc.counters.window('1m', now), svc.counters.window('5m', now), svc.counters.window('1h', now),
      readPeriods(svc.db, { kind: 'day', from: date, to: date, metrics: catalog.metrics.filter((m) => !catalog.realtime.some((r) => r.name === m.name)).map((m) => m.name), dims: { kind: 'all' } })
    ])
    return {
      time_zone: timeZone, date, at: new Date(now).toISOString(),
      today: todays, windows: { '1m': m1, '5m': m5, '1h': h1 },
      computed: business[0]?.metrics ?? {}
    }
  })

  app.get<{ Querystring: FunnelQuery }>('/v1/stats/funnel', {
    config,
    schema: {
      querystring: {
        type: 'object', additionalProperties: false, required: ['steps'],
        properties: {
          steps: { type: 'string', minLength: 1, maxLength: 2048, description: 'Comma-separated event names, in order' },
          from: { type: 'string' }, to: { type: 'string' },
          window: { type: 'string', pattern: '^[1-9][0-9]*(m|h|d)$', default: '1d' },
          by: { type: 'string', enum: ['store', 'channel'] }
        }
      }
    }
  }, async (req, reply) => {
    if (!allApps(req.apiKey)) return limitedKey(reply, req.apiKey)
    const steps = req.query.steps.split(',').map((s) => s.trim()).filter((s) => s !== '')
    if (steps.length < 2 || steps.length > 10) throw invalid('a funnel has 2 to 10 steps', '/steps')
    const from = instant(req.query.from, 'from') ?? new Date(localMidnight(today(), timeZone))
    const to = instant(req.query.to, 'to') ?? new Date()
    if (from >= to) throw invalid(`from (${from.toISOString()}) must be before to (${to.toISOString()})`, '/from')
    if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) throw invalid(`a funnel reads at most ${MAX_DAYS} days of entries`, '/to')
    const window = req.query.window ?? '1d'
    const windowMs = Number(window.slice(0, -1)) * ({ m: 60_000, h: 3_600_000, d: 86_400_000 } as const)[window.slice(-1) as 'm' | 'h' | 'd']
    // Past PostgreSQL's bigint the statement fails (a 500); no funnel needs more than the longest range.
    if (!(windowMs <= MAX_DAYS * 86_400_000)) throw invalid(`a funnel window is at most ${MAX_DAYS}d`, '/window')
    const groups = await funnel(svc.db, { steps, from, to, windowMs, by: req.query.by ?? null })
    return {
      from: from.toISOString(), to: to.toISOString(), window, by: req.query.by ?? null,
      groups: groups.map((g) => ({
        value: g.value,
        steps: g.steps.map((s, i) => ({
          event: s.event, users: s.users,
          from_previous: i === 0 ? null : rate(s.users, g.steps[i - 1]?.users ?? 0),
          from_first: i === 0 ? null : rate(s.users, g.steps[0]?.users ?? 0)
        }))
      }))
    }
  })
}

/**
 * `POST /v1/admin/stats/recompute` (admin): recomputes a range of local days, answering with
 * one JSON line per period done (`application/x-ndjson`) and a last line `{"done": true}` or
 * `{"error": …}`; `pulsegate stats recompute` draws its progress bar from them. The work goes
 * on to the end if the client leaves. Audited.
 */
export function adminStatsRoutes(app: FastifyInstance, svc: GatewayServices): void {
  app.post<{ Body: { from: string; to: string } }>('/v1/admin/stats/recompute', {
    config: { access: 'admin' },
    schema: { body: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: DATE, to: DATE } } }
  }, async (req, reply) => {
    const { timeZone } = svc.stats
    const now = Date.now()
    const range = {
      from: checkedDate(req.body.from, 'from'), to: checkedDate(req.body.to, 'to'), today: localDate(now, timeZone),
      oldestKept: localDate(now - (svc.config.retentionDays - 1) * 86_400_000, timeZone)
    }
    const total = planRecompute(range).length
    await audit(svc.db, { actor: actorOf(req.apiKey), action: 'stats.recompute', target: `${range.from}..${range.to}`, details: { periods: total } })
    const out = new PassThrough()
    const line = (o: unknown): void => { if (!out.writableEnded) out.write(JSON.stringify(o) + '\n') }
    line({ total })
    const started = performance.now()
    recomputeRange(svc.stats, range, (p) => line({ done: p.done, total: p.total, period: p.period.kind, start: p.period.start }))
      .then((n) => { line({ done: true, periods: n, seconds: Math.round(performance.now() - started) / 1000 }); out.end() })
      .catch((err: Error) => {
        svc.log.error({ err: err.message, from: range.from, to: range.to }, 'stats recompute failed')
        line({ error: err.message })
        out.end()
      })
    return reply.type('application/x-ndjson').send(out)
  })
}

const allApps = (key: ApiKey | undefined): boolean => key?.appId === null || key?.kind === 'admin'

function limitedKey(reply: FastifyReply, key: ApiKey | undefined): FastifyReply {
  return reply.code(403).send(errorBody(errors.FORBIDDEN.code, `statistics cover every app: a read key limited to app ${key?.appId ?? ''} cannot read them`))
}

const invalid = (message: string, path: string): PulseGateError => new PulseGateError(errors.STATS_QUERY_INVALID, message, { details: { path } })

function checkedDate(s: string, name: string): string {
  if (!isDate(s)) throw invalid(`${name} must be a calendar date YYYY-MM-DD`, `/${name}`)
  return s
}

function instant(s: string | undefined, name: string): Date | undefined {
  if (s === undefined) return undefined
  const ms = parseTimestamp(s)
  if (ms === undefined) throw invalid(`${name} must be ISO 8601 with a zone, or epoch milliseconds`, `/${name}`)
  return new Date(ms)
}

/**
 * Days from `from` to `to`, both included, by arithmetic: listing them (daysBetween) for
 * `to=9999-12-31` never ended, as the day after it is written `+010000-…`, and ran out of memory.
 */
const dayCount = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1

const rate = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1e6) / 1e6)

function parseCommon(q: DimQuery, known: ReadonlyMap<string, unknown>): { metrics: string[]; dims: DimensionSelector } {
  const metrics = q.metrics === undefined ? [...known.keys()] : q.metrics.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (metrics.length === 0) throw invalid('metrics names no metric: leave it out for every metric of the catalog', '/metrics')
  for (const m of metrics) if (!known.has(m)) throw new PulseGateError(errors.NO_SUCH_METRIC, m, { details: { path: '/metrics' } })
  const filters = DIMENSION_NAMES.filter((d) => q[d] !== undefined)
  if (filters.length > 1) throw invalid(`filter on one dimension at a time (got ${filters.join(', ')}): figures are kept per dimension, not per combination`, `/${filters[1] as string}`)
  if (filters.length === 1 && q.dimension !== undefined) throw invalid('give either a dimension filter or `dimension`, not both', '/dimension')
  const f = filters[0]
  const dims: DimensionSelector = f !== undefined ? { kind: 'value', dimension: f, value: q[f] as string }
    : q.dimension !== undefined ? { kind: 'by', dimension: q.dimension } : { kind: 'all' }
  return { metrics, dims }
}

function selectorOut(s: DimensionSelector): Record<string, string> | string {
  return s.kind === 'all' ? 'all' : s.kind === 'by' ? `by ${s.dimension}` : { [s.dimension]: s.value }
}

/** JSON, or CSV with a header: the period, the dimension value when broken down, then one column per metric. */
function answer(reply: FastifyReply, format: 'json' | 'csv' | undefined, body: { rows: FigureRow[] } & Record<string, unknown>, metrics: readonly string[]): unknown {
  if (format !== 'csv') return body
  const byValue = typeof body.dimensions === 'string' && body.dimensions.startsWith('by ')
  const header = ['period', ...(byValue ? ['value'] : []), ...metrics]
  const lines = body.rows.map((r) => [r.period, ...(byValue ? [r.value ?? ''] : []), ...metrics.map((m) => r.metrics[m] ?? '')].map(csvCell).join(','))
  return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="stats.csv"').send([header.join(','), ...lines].join('\r\n') + '\r\n')
}

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? String(v) : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
