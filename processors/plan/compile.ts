import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import * as formats from 'ajv-formats'
import { parse as parseYaml } from 'yaml'
import { errors, PulseGateError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import type { Rejection } from '../pipeline/event.js'
import type { EventSpec, PlanDocument, PrivacyRule, PropertySpec } from './plan.js'

export const DEFAULT_PLAN_PATH = join(packageRoot(), 'tracking-plan', 'default.yaml')

/** Top-level event fields a plan may declare as properties; validation finds them in either place. */
export const CANONICAL_FIELDS = ['user_id', 'session_id', 'store_id', 'device_id'] as const

export interface CompiledEvent {
  name: string
  idempotencyKey: string | undefined
  /** Canonical fields the plan declares for this event. */
  canonical: readonly string[]
  /** Every property the plan declares. */
  declared: ReadonlySet<string>
  /** Privacy rule of each property that has one (the plan's global rules not included). */
  privacy: ReadonlyMap<string, PrivacyRule>
  validate: ValidateFunction
}

export interface CompiledPlan {
  version: string
  unplanned: 'reject' | 'accept'
  /** Privacy rules by field name that apply to every event, planned or not. */
  privacy: ReadonlyMap<string, PrivacyRule>
  events: ReadonlyMap<string, CompiledEvent>
}

// ajv-formats is CommonJS; under NodeNext its plugin is the namespace's default export.
type FormatsPlugin = (ajv: Ajv, formats: string[]) => Ajv
const addFormats = ((formats as unknown as { default: FormatsPlugin }).default)
const PULSEGATE_KEYWORDS = new Set(['required', 'privacy', 'unit'])

export function loadPlan(path: string = DEFAULT_PLAN_PATH): CompiledPlan {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new PulseGateError(errors.PLAN_INVALID, `${path}: ${(err as Error).message}`, { cause: err })
  }
  return compilePlan(doc, path)
}

/** Compiles every event's validator once, at start (fastify compiles its schemas the same way). */
export function compilePlan(doc: unknown, origin = 'plan'): CompiledPlan {
  const plan = checkShape(doc, origin)
  const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false })
  addFormats(ajv, ['date-time', 'email', 'uri'])
  const events = new Map<string, CompiledEvent>()
  for (const [name, spec] of Object.entries(plan.events)) {
    try {
      events.set(name, compileEvent(ajv, name, spec ?? {}, plan.additional_properties ?? true))
    } catch (err) {
      throw new PulseGateError(errors.PLAN_INVALID, `${origin}: event ${name}: ${(err as Error).message}`, { cause: err })
    }
  }
  return { version: String(plan.version), unplanned: plan.unplanned, privacy: new Map(Object.entries(plan.privacy ?? {})), events }
}

function checkShape(doc: unknown, origin: string): PlanDocument {
  const d = doc as Partial<PlanDocument> | null
  const problems: string[] = []
  if (d === null || typeof d !== 'object') problems.push('must be a mapping')
  else {
    if (d.version === undefined) problems.push('version is missing')
    if (d.unplanned !== 'reject' && d.unplanned !== 'accept') problems.push('unplanned must be reject or accept')
    if (d.events === undefined || d.events === null || typeof d.events !== 'object' || Array.isArray(d.events)) problems.push('events must be a mapping')
  }
  if (problems.length > 0) throw new PulseGateError(errors.PLAN_INVALID, `${origin}: ${problems.join('; ')}`)
  return d as PlanDocument
}

function compileEvent(ajv: Ajv, name: string, spec: EventSpec, additionalDefault: boolean): CompiledEvent {
  const props = spec.properties ?? {}
  const schema = {
    type: 'object',
    properties: Object.fromEntries(Object.entries(props).map(([k, p]) => [k, jsonSchemaOf(p)])),
    required: Object.entries(props).filter(([, p]) => p.required === true).map(([k]) => k),
    additionalProperties: spec.additional_properties ?? additionalDefault
  }
  return {
    name,
    idempotencyKey: spec.idempotency_key,
    canonical: CANONICAL_FIELDS.filter((f) => f in props),
    declared: new Set(Object.keys(props)),
    privacy: new Map(Object.entries(props).flatMap(([k, p]) => p.privacy === undefined ? [] : [[k, p.privacy] as const])),
    validate: ajv.compile(schema)
  }
}

/** The property's JSON schema: our keywords removed (`required` only as our boolean, not a JSON-schema list). */
function jsonSchemaOf(p: PropertySpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).filter(([k, v]) => !PULSEGATE_KEYWORDS.has(k) || (k === 'required' && typeof v !== 'boolean')))
}

/** ajv's first error as our stable rejection codes. */
export function rejectionOf(err: ErrorObject | undefined): Rejection {
  if (err === undefined) return { code: 'invalid', path: '/properties', message: 'invalid properties' }
  const base = `/properties${err.instancePath}`
  switch (err.keyword) {
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty)
      return { code: 'required_missing', path: `${base}/${missing}`, message: `${missing} is required` }
    }
    case 'additionalProperties': {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty)
      return { code: 'additional_property', path: `${base}/${extra}`, message: `${extra} is not in the tracking plan` }
    }
    case 'type': return { code: 'type_mismatch', path: base, message: `must be ${String((err.params as { type: string }).type)}` }
    case 'enum': return { code: 'enum_mismatch', path: base, message: `must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues).map(String).join(', ')}` }
    default: return { code: 'constraint_violation', path: base, message: `${err.keyword}: ${err.message ?? 'invalid'}` }
  }
}
