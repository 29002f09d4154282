import { readFile } from 'node:fs/promises'
import { Ajv, type ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'

/** The scripted faults (issue 5): what happens to a device or a whole store, and when. */
export const FAULT_KINDS = ['power_loss', 'disconnect', 'will', 'flapping', 'store_network', 'store_closed'] as const
export type FaultKind = typeof FAULT_KINDS[number]
export const STORE_FAULTS: readonly FaultKind[] = ['store_network', 'store_closed']

export interface FaultSpec {
  kind: FaultKind
  /** Offset from the start of the run, seconds. */
  atS: number
  durationS: number
  /** A device id (device faults) or store id (store faults); chosen with the seed when absent. */
  target?: string
}

/** Shares of the app traffic (simulator/apps) that is deliberately wrong. */
export interface AppShares { invalid: number; duplicate: number; late: number; skew: number; missingSettlement: number }

export interface Scenario {
  seed: number
  /** Prefix of every store and device id, so runs against one gateway do not collide. */
  prefix: string
  stores: number
  tablesPerStore: number
  durationS: number
  /** Heartbeat interval of every device, seconds (registered, so the gateway's deadline is 3×). */
  intervalS: number
  /** Each heartbeat's delay moves by up to ±this fraction of the interval. */
  jitter: number
  qos: 0 | 1
  /** Share of devices that heartbeat over HTTP (`heartbeat_receive` on /api/track). */
  httpDevices: number
  /** Share of MQTT devices that connect with a Will (`offline`, retained). */
  willDevices: number
  /** Device events (`alarm_raise`, `qr_scan`) per device per minute, QoS 1. */
  eventsPerMinute: number
  faults: FaultSpec[]
  /** When set, a random device or store fault starts every this many seconds (the demo). */
  faultEveryS: number | null
  /** App users simulated over HTTP (0: no app traffic). */
  appUsers: number
  appShares: AppShares
  /** Factor on the apps' nominal durations, so a short run still completes their flows. */
  appTimeScale: number
  timeZone: string
}

export const DEFAULT_SCENARIO: Readonly<Scenario> = Object.freeze({
  seed: 1, prefix: 'sim', stores: 2, tablesPerStore: 3, durationS: 60, intervalS: 5, jitter: 0.1, qos: 1,
  httpDevices: 0, willDevices: 0.5, eventsPerMinute: 2, faults: [], faultEveryS: null, appUsers: 0,
  appShares: { invalid: 0.02, duplicate: 0.02, late: 0.01, skew: 0.01, missingSettlement: 0.01 }, appTimeScale: 1, timeZone: 'UTC'
})

/** `90`, `90s`, `1500ms`, `2m`, `1h` as seconds; null when it is none of those. */
export function parseSeconds(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (m === null) return null
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's'] as number
  return Number(m[1]) * unit
}

export class ScenarioError extends Error {}

const DURATION = { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)?$' }] }
const SHARE = { type: 'number', minimum: 0, maximum: 1 }

/** The YAML file's shape: snake_case keys, durations as seconds or `30s` / `2m`. */
const FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    seed: { type: 'integer', minimum: 0 },
    prefix: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' },
    stores: { type: 'integer', minimum: 1, maximum: 1000 },
    tables: { type: 'integer', minimum: 1, maximum: 1000 },
    duration: DURATION,
    interval: { type: 'integer', minimum: 1, maximum: 3600 },
    jitter: SHARE,
    qos: { enum: [0, 1] },
    http_devices: SHARE,
    will_devices: SHARE,
    events_per_minute: { type: 'number', minimum: 0, maximum: 600 },
    fault_every: DURATION,
    time_zone: { type: 'string', minLength: 1 },
    apps: {
      type: 'object',
      additionalProperties: false,
      properties: {
        users: { type: 'integer', minimum: 0 },
        time_scale: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        invalid: SHARE, duplicate: SHARE, late: SHARE, skew: SHARE, missing_settlement: SHARE
      }
    },
    faults: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'at', 'for'],
        properties: { kind: { enum: FAULT_KINDS }, at: DURATION, for: DURATION, target: { type: 'string', minLength: 1 } }
      }
    }
  }
} as const

const validateFile = new Ajv({ allErrors: true }).compile(FILE_SCHEMA)

/** One line per problem, each naming the field (`faults[1].kind: must be one of …`). */
function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => {
    const path = e.instancePath.split('/').slice(1).map((p) => /^\d+$/.test(p) ? `[${p}]` : `.${p}`).join('').replace(/^\./, '')
    const field = e.keyword === 'additionalProperties' ? `${path === '' ? '' : path + '.'}${String(e.params.additionalProperty)}` : e.keyword === 'required' ? `${path === '' ? '' : path + '.'}${String(e.params.missingProperty)}` : path
    const message = e.keyword === 'additionalProperties' ? 'is not a known field' : e.keyword === 'enum' ? `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` : e.message ?? 'is invalid'
    return `${field === '' ? '(top level)' : field}: ${message}`
  }).filter((line, i, all) => all.indexOf(line) === i).join('\n')
}

/** A scenario from YAML text; throws ScenarioError naming every bad field. */
export function scenarioFromYaml(text: string, source = 'scenario'): Scenario {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new ScenarioError(`${source}: not valid YAML: ${(err as Error).message}`)
  }
  if (doc === null || doc === undefined) doc = {}
  if (!validateFile(doc)) throw new ScenarioError(`${source} is not a valid scenario:\n${describeErrors(validateFile.errors ?? [])}`)
  return fromFile(doc as FileScenario)
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8').catch((err: Error) => { throw new ScenarioError(`cannot read ${path}: ${err.message}`) })
  return scenarioFromYaml(text, path)
}

interface FileScenario {
  seed?: number; prefix?: string; stores?: number; tables?: number; duration?: string | number; interval?: number; jitter?: number
  qos?: 0 | 1; http_devices?: number; will_devices?: number; events_per_minute?: number; fault_every?: string | number; time_zone?: string
  apps?: { users?: number; time_scale?: number; invalid?: number; duplicate?: number; late?: number; skew?: number; missing_settlement?: number }
  faults?: Array<{ kind: FaultKind; at: string | number; for: string | number; target?: string }>
}

function fromFile(f: FileScenario): Scenario {
  const d = DEFAULT_SCENARIO
  const secs = (v: string | number | undefined, fallback: number): number => v === undefined ? fallback : parseSeconds(v) as number
  const shares = f.apps ?? {}
  return checkScenario({
    seed: f.seed ?? d.seed, prefix: f.prefix ?? d.prefix, stores: f.stores ?? d.stores, tablesPerStore: f.tables ?? d.tablesPerStore,
    durationS: secs(f.duration, d.durationS), intervalS: f.interval ?? d.intervalS, jitter: f.jitter ?? d.jitter, qos: f.qos ?? d.qos,
    httpDevices: f.http_devices ?? d.httpDevices, willDevices: f.will_devices ?? d.willDevices, eventsPerMinute: f.events_per_minute ?? d.eventsPerMinute,
    faults: (f.faults ?? []).map((x) => ({ kind: x.kind, atS: secs(x.at, 0), durationS: secs(x.for, 0), ...(x.target === undefined ? {} : { target: x.target }) })),
    faultEveryS: f.fault_every === undefined ? null : secs(f.fault_every, 0), appUsers: shares.users ?? d.appUsers,
    appShares: {
      invalid: shares.invalid ?? d.appShares.invalid, duplicate: shares.duplicate ?? d.appShares.duplicate, late: shares.late ?? d.appShares.late,
      skew: shares.skew ?? d.appShares.skew, missingSettlement: shares.missing_settlement ?? d.appShares.missingSettlement
    },
    appTimeScale: shares.time_scale ?? d.appTimeScale, timeZone: f.time_zone ?? d.timeZone
  })
}

/** Checks what the schema cannot: faults inside the run, known time zone. Returns it frozen. */
export function checkScenario(s: Scenario): Scenario {
  const problems: string[] = []
  if (s.durationS <= 0) problems.push('duration: must be more than 0')
  s.faults.forEach((f, i) => {
    if (f.durationS <= 0) problems.push(`faults[${i}].for: must be more than 0`)
    if (f.atS + f.durationS > s.durationS) problems.push(`faults[${i}]: ends at ${f.atS + f.durationS}s, after the run (duration ${s.durationS}s)`)
  })
  if (s.faultEveryS !== null && s.faultEveryS <= 0) problems.push('fault_every: must be more than 0')
  try {
    new Intl.DateTimeFormat('en', { timeZone: s.timeZone })
  } catch {
    problems.push(`time_zone: ${s.timeZone} is not an IANA time zone`)
  }
  if (problems.length > 0) throw new ScenarioError(`not a valid scenario:\n${problems.join('\n')}`)
  return Object.freeze({ ...s, faults: s.faults.map((f) => Object.freeze({ ...f })) })
}
