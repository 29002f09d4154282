/**
 * The metric catalog (SPEC §8): a YAML file of metrics, each a kind over an event filter with
 * dimensions, compiled once at start. Checked whole: every problem of the file is reported in
 * one error, as the tracking plan's are.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { parse as parseYaml } from 'yaml'
import { errors, PulseGateError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import type { CanonicalEvent } from '../pipeline/event.js'
import type { RealtimeMetric } from './realtime-metric.js'

export const DEFAULT_CATALOG_PATH = join(packageRoot(), 'statistics', 'default.yaml')

export type MetricKind = 'count' | 'unique' | 'first_time' | 'sum' | 'ratio' | 'cumulative' | 'followed' | 'span' | 'utilization'

/** Dimensions a metric can be broken down by, and the event column each reads. */
export const DIMENSIONS = {
  channel: 'channel', device_type: 'device_type', store: 'store_id', platform: 'platform', app: 'app_id', source: 'source',
  /** `new` on the local day of the identity's first event ever, `returning` after (stats_first_seen). */
  user_type: null
} as const satisfies Record<string, string | null>
export type Dimension = keyof typeof DIMENSIONS

/** Event columns a filter, an identity or a key may name; anything else is `properties.<name>`. */
const COLUMNS = new Set(['app_id', 'event_name', 'source', 'schema_version', 'store_id', 'device_id', 'user_id', 'session_id', 'platform', 'app_version', 'channel', 'device_type', 'correlation_id'])
const PROPERTY = /^properties\.([A-Za-z0-9_]{1,64})$/

/** A field of an event: a column, or one top-level property (compared as text). */
export type Field = { column: string } | { property: string }

export interface Filter {
  events: readonly string[]
  /** Each field must hold one of the values; null in the list matches a missing value. */
  where: ReadonlyArray<{ field: Field; values: ReadonlyArray<string | null> }>
}

interface Base { name: string; title: string; unit: string | null; dimensions: readonly Dimension[] }
export type Metric = Base & (
  | { kind: 'count'; filter: Filter; realtime: boolean }
  | { kind: 'unique'; filter: Filter; of: Field | null; realtime: boolean }
  | { kind: 'first_time'; filter: Filter; of: Field | null }
  | { kind: 'sum'; filter: Filter; value: Field; realtime: boolean }
  | { kind: 'sum'; source: 'page_durations' }
  | { kind: 'ratio'; numerator: string; denominator: string; scale: number }
  | { kind: 'cumulative'; plus: readonly string[]; minus: readonly string[] }
  | { kind: 'followed' | 'span'; filter: Filter; then: string; key: Field; withinMs: number }
  | { kind: 'utilization'; numerator: string }
)

export interface Catalog {
  /** In dependency order: a ratio or cumulative metric comes after the metrics it reads. */
  metrics: readonly Metric[]
  byName: ReadonlyMap<string, Metric>
  /** The metrics one committed event decides, for the realtime counters. */
  realtime: readonly RealtimeMetric[]
  /** The longest `within` of the catalog: how long after its day a day's figures can still change. */
  settleMs: number
}

const NAME = '^[a-z][a-z0-9_]{0,62}$'
const fieldSchema = { type: 'string', minLength: 1, maxLength: 80 }
const metricSchema = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', maxLength: 512 },
    kind: { enum: ['count', 'unique', 'first_time', 'sum', 'ratio', 'cumulative', 'followed', 'span', 'utilization'] },
    events: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 128 } },
    where: { type: 'object', additionalProperties: { anyOf: [{ type: ['string', 'null'] }, { type: 'array', minItems: 1, items: { type: ['string', 'null'] } }] } },
    of: fieldSchema,
    value: fieldSchema,
    source: { enum: ['page_durations'] },
    numerator: { type: 'string', pattern: NAME },
    denominator: { type: 'string', pattern: NAME },
    scale: { type: 'number', exclusiveMinimum: 0 },
    plus: { type: 'array', minItems: 1, items: { type: 'string', pattern: NAME } },
    minus: { type: 'array', items: { type: 'string', pattern: NAME } },
    then: { type: 'string', minLength: 1, maxLength: 128 },
    key: fieldSchema,
    within: { type: 'string', pattern: '^[1-9][0-9]*(m|h|d)$' },
    dimensions: { type: 'array', items: { enum: Object.keys(DIMENSIONS) }, uniqueItems: true },
    realtime: { type: 'boolean' },
    unit: { type: 'string', maxLength: 32 }
  }
} as const
const catalogSchema = {
  type: 'object',
  required: ['version', 'metrics'],
  additionalProperties: false,
  properties: {
    version: { const: 1 },
    dimensions: { type: 'array', items: { enum: Object.keys(DIMENSIONS) }, uniqueItems: true },
    metrics: { type: 'object', minProperties: 1, propertyNames: { pattern: NAME }, additionalProperties: metricSchema }
  }
} as const

type RawMetric = { kind: MetricKind; title?: string; events?: string[]; where?: Record<string, string | null | Array<string | null>>; of?: string; value?: string; source?: 'page_durations'; numerator?: string; denominator?: string; scale?: number; plus?: string[]; minus?: string[]; then?: string; key?: string; within?: string; dimensions?: Dimension[]; realtime?: boolean; unit?: string }
type RawCatalog = { version: 1; dimensions?: Dimension[]; metrics: Record<string, RawMetric> }

const validateShape = new Ajv({ allErrors: true, strict: true }).compile<RawCatalog>(catalogSchema)

export function loadCatalog(path: string = DEFAULT_CATALOG_PATH): Catalog {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new PulseGateError(errors.CATALOG_INVALID, `${path}: ${(err as Error).message}`, { cause: err })
  }
  return compileCatalog(doc, path)
}

/** Compiles a parsed catalog, or throws PG_ERR_CATALOG_INVALID listing every problem. */
export function compileCatalog(doc: unknown, origin = 'catalog'): Catalog {
  if (!validateShape(doc)) {
    const list = (validateShape.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    throw new PulseGateError(errors.CATALOG_INVALID, `${origin}: ${list.join('; ')}`)
  }
  const problems: string[] = []
  const defaults = doc.dimensions ?? []
  const compiled = new Map<string, Metric>()
  for (const [name, raw] of Object.entries(doc.metrics)) {
    const m = compileMetric(name, raw, defaults, (p) => problems.push(`metrics.${name}: ${p}`))
    if (m !== null) compiled.set(name, m)
  }
  const ordered = orderByDependencies(compiled, (p) => problems.push(p))
  if (problems.length > 0) throw new PulseGateError(errors.CATALOG_INVALID, `${origin}: ${problems.join('; ')}`)
  return {
    metrics: ordered,
    byName: compiled,
    realtime: ordered.flatMap((m) => realtimeOf(m) ?? []),
    settleMs: Math.max(0, ...ordered.map((m) => ('withinMs' in m ? m.withinMs : 0)))
  }
}

function compileMetric(name: string, raw: RawMetric, defaults: Dimension[], problem: (p: string) => void): Metric | null {
  const base: Base = { name, title: raw.title ?? name, unit: raw.unit ?? null, dimensions: raw.dimensions ?? defaults }
  const allowed = ALLOWED_KEYS[raw.kind]
  for (const key of Object.keys(raw)) if (!COMMON_KEYS.has(key) && !allowed.has(key)) problem(`\`${key}\` does not apply to a ${raw.kind} metric`)
  const field = (what: string, v: string | undefined): Field | null => {
    if (v === undefined) return null
    const f = parseField(v)
    if (f === null) problem(`${what} \`${v}\` is neither an event column nor properties.<name>`)
    return f
  }
  const filter = (): Filter | null => {
    if (raw.events === undefined) { problem('`events` is required'); return null }
    const where = Object.entries(raw.where ?? {}).flatMap(([k, v]) => {
      const f = field('where field', k)
      return f === null ? [] : [{ field: f, values: Array.isArray(v) ? v : [v] }]
    })
    return { events: raw.events, where }
  }
  switch (raw.kind) {
    case 'count': {
      const f = filter()
      return f === null ? null : { ...base, kind: 'count', filter: f, realtime: raw.realtime ?? false }
    }
    case 'unique': {
      const f = filter()
      return f === null ? null : { ...base, kind: 'unique', filter: f, of: field('of', raw.of), realtime: raw.realtime ?? false }
    }
    case 'first_time': {
      const f = filter()
      return f === null ? null : { ...base, kind: 'first_time', filter: f, of: field('of', raw.of) }
    }
    case 'sum': {
      if (raw.source !== undefined) {
        if (raw.events !== undefined || raw.value !== undefined) problem('a sum over a `source` takes neither `events` nor `value`')
        return { ...base, kind: 'sum', source: raw.source }
      }
      const f = filter()
      const value = field('value', raw.value)
      if (raw.value === undefined) problem('`value` (properties.<name>) is required')
      else if (value !== null && 'column' in value) problem(`value \`${raw.value}\` is a text column; a sum reads a numeric property (properties.<name>)`)
      return f === null || value === null ? null : { ...base, kind: 'sum', filter: f, value, realtime: raw.realtime ?? false }
    }
    case 'ratio':
      if (raw.numerator === undefined || raw.denominator === undefined) { problem('`numerator` and `denominator` are required'); return null }
      return { ...base, kind: 'ratio', numerator: raw.numerator, denominator: raw.denominator, scale: raw.scale ?? 1 }
    case 'utilization':
      if (raw.numerator === undefined) { problem('`numerator` (minutes of use, by store) is required'); return null }
      if (base.dimensions.some((d) => d !== 'store')) problem('a utilization is broken down by store only: `dimensions: [store]`')
      return { ...base, kind: 'utilization', numerator: raw.numerator }
    case 'cumulative':
      if (raw.plus === undefined) { problem('`plus` is required'); return null }
      return { ...base, kind: 'cumulative', plus: raw.plus, minus: raw.minus ?? [] }
    case 'followed':
    case 'span': {
      const f = filter()
      const key = field('key', raw.key)
      if (raw.then === undefined || raw.key === undefined || raw.within === undefined) { problem('`then`, `key` and `within` are required'); return null }
      return f === null || key === null ? null : { ...base, kind: raw.kind, filter: f, then: raw.then, key, withinMs: durationMs(raw.within) }
    }
  }
}

const COMMON_KEYS = new Set(['kind', 'title', 'unit', 'dimensions'])
const ALLOWED_KEYS: Record<MetricKind, ReadonlySet<string>> = {
  count: new Set(['events', 'where', 'realtime']),
  unique: new Set(['events', 'where', 'of', 'realtime']),
  first_time: new Set(['events', 'where', 'of']),
  sum: new Set(['events', 'where', 'value', 'source', 'realtime']),
  ratio: new Set(['numerator', 'denominator', 'scale']),
  cumulative: new Set(['plus', 'minus']),
  followed: new Set(['events', 'where', 'then', 'key', 'within']),
  span: new Set(['events', 'where', 'then', 'key', 'within']),
  utilization: new Set(['numerator'])
}

export function parseField(v: string): Field | null {
  if (COLUMNS.has(v)) return { column: v }
  const m = PROPERTY.exec(v)
  return m === null ? null : { property: m[1] as string }
}

function durationMs(v: string): number {
  const n = Number(v.slice(0, -1))
  return n * ({ m: 60_000, h: 3_600_000, d: 86_400_000 } as const)[v.slice(-1) as 'm' | 'h' | 'd']
}

/** The metrics another metric reads, which must be computed before it. */
export function inputsOf(m: Metric): readonly string[] {
  if (m.kind === 'ratio') return [m.numerator, m.denominator]
  if (m.kind === 'cumulative') return [...m.plus, ...m.minus]
  if (m.kind === 'utilization') return [m.numerator]
  return []
}

function orderByDependencies(metrics: ReadonlyMap<string, Metric>, problem: (p: string) => void): Metric[] {
  const out: Metric[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (m: Metric, path: string[]): void => {
    const s = state.get(m.name)
    if (s === 'done') return
    if (s === 'visiting') { problem(`metrics ${[...path, m.name].join(' → ')} form a cycle`); return }
    state.set(m.name, 'visiting')
    for (const input of inputsOf(m)) {
      const dep = metrics.get(input)
      if (dep === undefined) problem(`metrics.${m.name}: reads \`${input}\`, which the catalog does not define`)
      else if (m.kind === 'cumulative' && !isAdditive(dep)) problem(`metrics.${m.name}: a cumulative total adds up days, and \`${input}\` (${dep.kind}) does not add up`)
      else if (m.kind === 'utilization' && !dep.dimensions.includes('store')) problem(`metrics.${m.name}: its numerator \`${input}\` must be broken down by store`)
      else visit(dep, [...path, m.name])
    }
    state.set(m.name, 'done')
    out.push(m)
  }
  for (const m of metrics.values()) visit(m, [])
  return out
}

/** Whether a metric's periods add up: its day is the sum of its hours (SPEC §8's check). */
export function isAdditive(m: Metric): boolean {
  return m.kind === 'count' || m.kind === 'sum' || m.kind === 'first_time' || m.kind === 'followed' || m.kind === 'span'
}

// --- Realtime ---------------------------------------------------------------------------------

function realtimeOf(m: Metric): RealtimeMetric | null {
  if (!('realtime' in m) || !m.realtime || !('filter' in m)) return null
  const matches = eventMatcher(m.filter)
  if (m.kind === 'count') return { name: m.name, kind: 'count', matches, value: () => 1 }
  if (m.kind === 'unique') {
    const of = m.of === null ? identityOf : (e: CanonicalEvent) => textOf(e, m.of as Field)
    return { name: m.name, kind: 'unique', matches, value: of }
  }
  const value = m.value
  return {
    name: m.name, kind: 'sum', matches,
    value: (e) => { const v = readField(e, value); return typeof v === 'number' && Number.isSafeInteger(v) ? v : null }
  }
}

/** Who a user is for unique counts: the user id, else the device id (SPEC §8). */
export const identityOf = (e: CanonicalEvent): string | null => e.userId ?? e.deviceId

const CAMEL: Record<string, keyof CanonicalEvent> = {
  app_id: 'appId', event_name: 'eventName', source: 'source', schema_version: 'schemaVersion', store_id: 'storeId',
  device_id: 'deviceId', user_id: 'userId', session_id: 'sessionId', platform: 'platform', app_version: 'appVersion',
  channel: 'channel', device_type: 'deviceType', correlation_id: 'correlationId'
}

function readField(e: CanonicalEvent, f: Field): unknown {
  return 'column' in f ? e[CAMEL[f.column] as keyof CanonicalEvent] : e.properties[f.property]
}

/** A field as the SQL reads it (`->>`): strings as they are, numbers and booleans as JSON text, objects not at all. */
function textOf(e: CanonicalEvent, f: Field): string | null {
  const v = readField(e, f)
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v)
  return JSON.stringify(v)
}

export function eventMatcher(filter: Filter): (e: CanonicalEvent) => boolean {
  const names = new Set(filter.events)
  const where = filter.where.map(({ field, values }) => ({ field, values: new Set(values) }))
  return (e) => names.has(e.eventName) && where.every(({ field, values }) => values.has(textOf(e, field)))
}
