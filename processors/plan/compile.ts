import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import * as formats from 'ajv-formats'
import { parse as parseYaml } from 'yaml'
import { errors, PulseGateError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { CANONICAL_FIELDS, describeProblem, type EventSpec, type PlanDocument, type PlanProblem, type PrivacyRule, type PropertySpec } from './plan.js'
import { checkShape, eventsWithProblems, isMapping } from './shape.js'

// Re-exported: the pipeline imports these from here.
export { CANONICAL_FIELDS }
export { rejectionOf } from './rejection.js'

export const DEFAULT_PLAN_PATH = join(packageRoot(), 'tracking-plan', 'default.yaml')

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

/** A plan read without throwing: compiled, or what PG_ERR_PLAN_INVALID would say (`detail`). */
export type PlanResult = { plan: CompiledPlan } | { detail: string; cause?: unknown }

// ajv-formats is CommonJS; under NodeNext its plugin is the namespace's default export.
type FormatsPlugin = (ajv: Ajv, formats: string[]) => Ajv
const addFormats = ((formats as unknown as { default: FormatsPlugin }).default)
const PULSEGATE_KEYWORDS = new Set(['required', 'privacy', 'unit'])

export function loadPlan(path: string = DEFAULT_PLAN_PATH): CompiledPlan {
  return unwrapPlan(readPlan(path))
}

/** Compiles every event's validator once, at start (fastify compiles its schemas the same way). */
export function compilePlan(doc: unknown, origin = 'plan'): CompiledPlan {
  return unwrapPlan(resultOf(inspectPlan(doc), origin))
}

/** Reads and compiles one plan file; every problem of the file is in the one `detail`. */
export function readPlan(path: string): PlanResult {
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    return { detail: `${path}: ${(err as Error).message}`, cause: err }
  }
  return resultOf(inspectPlan(doc), path)
}

export function unwrapPlan(result: PlanResult): CompiledPlan {
  if ('plan' in result) return result.plan
  throw new PulseGateError(errors.PLAN_INVALID, result.detail, { cause: result.cause })
}

/**
 * Every problem of a plan document, not only the first: shape and PulseGate keywords, then each
 * event that passed them compiled. The plan is returned only when there is no problem.
 */
export function inspectPlan(doc: unknown): { plan: CompiledPlan | undefined; problems: PlanProblem[] } {
  const problems = checkShape(doc)
  if (!isMapping(doc) || !isMapping(doc.events)) return { plan: undefined, problems }
  const d = doc as unknown as PlanDocument
  // An event with a shape problem is not compiled: its ajv error would only repeat it.
  const skip = eventsWithProblems(problems)
  const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false })
  addFormats(ajv, ['date-time', 'email', 'uri'])
  const events = new Map<string, CompiledEvent>()
  for (const [name, spec] of Object.entries(d.events)) {
    if (skip.has(name)) continue
    try {
      events.set(name, compileEvent(ajv, name, spec ?? {}, d.additional_properties ?? true))
    } catch (err) {
      problems.push({ path: ['events', name], subject: name, message: (err as Error).message, severity: 'error', cause: err })
    }
  }
  if (problems.length > 0) return { plan: undefined, problems }
  return { plan: { version: String(d.version), unplanned: d.unplanned, privacy: new Map(Object.entries(d.privacy ?? {})), events }, problems }
}

function resultOf({ plan, problems }: ReturnType<typeof inspectPlan>, origin: string): PlanResult {
  if (plan !== undefined) return { plan }
  const cause = combineCauses(problems.flatMap((p) => p.cause === undefined ? [] : [p.cause]))
  return { detail: `${origin}: ${problems.map(describeProblem).join('; ')}`, cause }
}

/** The one cause as it is; several in an AggregateError, so none is lost. */
export function combineCauses(causes: readonly unknown[]): unknown {
  return causes.length > 1 ? new AggregateError(causes, 'several plan problems have causes') : causes[0]
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
