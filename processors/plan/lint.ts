import type { PlanProblem } from './plan.js'
import { isMapping } from './shape.js'

type Node = Record<string, unknown>

/** The event-name rule of normalize (`bad_event_name`): a planned name it refuses could never arrive. */
export const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/
// `amount`, `price`, `fee`, or ending in one (`refund_amount`, `unit_price`, `service_fee`).
const MONEY = /^(?:amount|price|fee)$|_(?:amount|price|fee)$/

/**
 * What a plan author most likely got wrong although the plan loads (`pulsegate plan lint`). Run
 * beside inspectPlan, which reports what stops it loading; the two never report the same thing.
 */
export function lintPlan(doc: unknown): PlanProblem[] {
  if (!isMapping(doc) || !isMapping(doc.events)) return []
  return Object.entries(doc.events).flatMap(([name, spec]) => lintEvent(name, isMapping(spec) ? spec : {}))
}

function lintEvent(name: string, spec: Node): PlanProblem[] {
  const at = ['events', name]
  const problems: PlanProblem[] = []
  if (!EVENT_NAME.test(name)) problems.push(error(at, name, `the name must match ${String(EVENT_NAME)}: normalize refuses any other`))
  if (typeof spec.description !== 'string' || spec.description.trim() === '') problems.push(error(at, name, 'has no description'))
  const props = isMapping(spec.properties) ? spec.properties : {}
  for (const [prop, p] of Object.entries(props)) if (isMapping(p)) problems.push(...lintProperty(name, prop, p))
  if (Array.isArray(spec.required)) problems.push(...lintEventRequired(name, spec.required, props))
  const key = spec.idempotency_key
  if (typeof key === 'string' && isMapping(props[key]) && props[key].required !== true) {
    problems.push(warning([...at, 'idempotency_key'], name, `idempotency_key ${key} is not required: events without it fall back to a derived id`))
  }
  return problems
}

function lintProperty(event: string, prop: string, p: Node): PlanProblem[] {
  const at = ['events', event, 'properties', prop]
  const subject = `${event}.${prop}`
  const problems: PlanProblem[] = []
  if (p.type === undefined) problems.push(error(at, subject, 'has no type'))
  if (p.unit === 'minor' && p.type !== 'integer') problems.push(error([...at, 'unit'], subject, 'unit: minor needs type: integer (minor units are whole)'))
  // A unit other than minor is already a load error; this is for money with no unit at all.
  if (MONEY.test(prop) && p.unit === undefined) {
    problems.push(warning(at, subject, 'looks like money but has no unit: minor (an integer of minor units, 4500 = 45.00)'))
  }
  return problems
}

/** A JSON-schema `required` list on the event itself: the plan marks properties `required: true` instead. */
function lintEventRequired(event: string, names: unknown[], props: Node): PlanProblem[] {
  const at = ['events', event, 'required']
  return names.map((name) => String(name) in props
    ? warning(at, event, `required lists ${String(name)}, but an event's required list is not read: mark the property required: true`)
    : error(at, event, `required property ${String(name)} is not declared`))
}

function error(path: string[], subject: string, message: string): PlanProblem {
  return { path, subject, message, severity: 'error' }
}

function warning(path: string[], subject: string, message: string): PlanProblem {
  return { path, subject, message, severity: 'warning' }
}
