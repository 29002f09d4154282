import { CANONICAL_FIELDS, PRIVACY_RULES, type PlanProblem } from './plan.js'

type Node = Record<string, unknown>

/**
 * Everything wrong with a plan document's shape and PulseGate keywords, all at once (fastify
 * validates its options the same way: every problem in one report). JSON-schema fragments are
 * left to ajv.
 */
export function checkShape(doc: unknown): PlanProblem[] {
  if (!isMapping(doc)) return [problem([], '', 'must be a mapping')]
  const problems: PlanProblem[] = []
  if (doc.version === undefined) problems.push(problem(['version'], '', 'version is missing'))
  if (doc.unplanned !== 'reject' && doc.unplanned !== 'accept') problems.push(problem(['unplanned'], '', 'unplanned must be reject or accept'))
  if (!isMapping(doc.events)) problems.push(problem(['events'], '', 'events must be a mapping'))
  problems.push(...checkGlobalPrivacy(doc.privacy))
  if (isMapping(doc.events)) {
    for (const [name, spec] of Object.entries(doc.events)) problems.push(...checkEvent(name, spec))
  }
  return problems
}

/** Events whose entry has a problem that would make compiling it fail or mean something else. */
export function eventsWithProblems(problems: readonly PlanProblem[]): Set<string> {
  return new Set(problems.filter((p) => p.path[0] === 'events' && p.path[1] !== undefined).map((p) => p.path[1] as string))
}

function checkGlobalPrivacy(privacy: unknown): PlanProblem[] {
  if (privacy === undefined || privacy === null) return []
  if (!isMapping(privacy)) return [problem(['privacy'], '', 'privacy must be a mapping of field name to rule')]
  return Object.entries(privacy).flatMap(([field, rule]) =>
    PRIVACY_RULES.includes(rule as never) ? [] : [problem(['privacy', field], `privacy.${field}`, privacyMessage(rule))])
}

function checkEvent(name: string, spec: unknown): PlanProblem[] {
  if (spec === null || spec === undefined) return []
  const at = ['events', name]
  if (!isMapping(spec)) return [problem(at, name, 'must be a mapping (or empty)')]
  const props = spec.properties ?? {}
  if (!isMapping(props)) return [problem([...at, 'properties'], name, 'properties must be a mapping')]
  const problems = Object.entries(props).flatMap(([prop, p]) => checkProperty(name, prop, p))
  const key = spec.idempotency_key
  if (key !== undefined && !(typeof key === 'string' && (key in props || (CANONICAL_FIELDS as readonly string[]).includes(key)))) {
    problems.push(problem([...at, 'idempotency_key'], name,
      `idempotency_key ${JSON.stringify(key)} is neither a declared property nor one of ${CANONICAL_FIELDS.join(', ')}`))
  }
  return problems
}

function checkProperty(event: string, prop: string, spec: unknown): PlanProblem[] {
  const at = ['events', event, 'properties', prop]
  const subject = `${event}.${prop}`
  if (!isMapping(spec)) return [problem(at, subject, 'must be a mapping (a JSON-schema fragment)')]
  const problems = checkSchema(spec, at, subject)
  if (spec.privacy !== undefined && !PRIVACY_RULES.includes(spec.privacy as never)) {
    problems.push(problem([...at, 'privacy'], subject, privacyMessage(spec.privacy)))
  }
  if (spec.unit !== undefined && spec.unit !== 'minor') {
    problems.push(problem([...at, 'unit'], subject, `unit must be minor, not ${JSON.stringify(spec.unit)}`))
  }
  return problems
}

/**
 * JSON-schema mistakes at any depth that ajv would refuse anyway (repeated enum values,
 * `required` names without a property), here to name the property rather than the event.
 */
function checkSchema(node: Node, at: string[], subject: string): PlanProblem[] {
  const problems: PlanProblem[] = []
  if (Array.isArray(node.enum)) {
    const seen = new Set<string>()
    for (const value of node.enum) {
      const text = JSON.stringify(value)
      if (seen.has(text)) problems.push(problem([...at, 'enum'], subject, `enum lists ${text} more than once`))
      seen.add(text)
    }
  }
  const props = isMapping(node.properties) ? node.properties : {}
  if (Array.isArray(node.required)) {
    for (const name of node.required) {
      if (!(String(name) in props)) problems.push(problem([...at, 'required'], subject, `required property ${String(name)} is not declared`))
    }
  }
  for (const [name, child] of Object.entries(props)) if (isMapping(child)) problems.push(...checkSchema(child, [...at, 'properties', name], `${subject}.${name}`))
  if (isMapping(node.items)) problems.push(...checkSchema(node.items, [...at, 'items'], `${subject}[]`))
  return problems
}

function privacyMessage(rule: unknown): string {
  return `privacy rule must be one of ${PRIVACY_RULES.join(', ')}, not ${JSON.stringify(rule)}`
}

function problem(path: string[], subject: string, message: string): PlanProblem {
  return { path, subject, message, severity: 'error' }
}

export function isMapping(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
