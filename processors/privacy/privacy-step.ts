import type { CompiledEvent, CompiledPlan } from '../plan/compile.js'
import type { PrivacyRule } from '../plan/plan.js'
import type { BatchContext } from '../pipeline/context.js'
import type { CanonicalEvent } from '../pipeline/event.js'
import type { StepResult } from '../pipeline/normalize.js'
import { applyRule, maskValue, type Rules } from './apply.js'
import { mergeRules, withSpellings } from './rules.js'

/** Canonical string fields a rule may name, by the snake_case name the plan uses. */
const CANONICAL = {
  user_id: 'userId', session_id: 'sessionId', store_id: 'storeId', device_id: 'deviceId', correlation_id: 'correlationId'
} as const satisfies Record<string, keyof CanonicalEvent>

type CanonicalKey = (typeof CANONICAL)[keyof typeof CANONICAL]

/** The rules one event name gets, merged once. */
interface EventRules {
  /** Property rules by name (camelCase spellings included); empty when the event has none. */
  properties: Rules
  /** Canonical fields with a rule. */
  canonical: ReadonlyArray<readonly [CanonicalKey, PrivacyRule]>
}

interface PlanRules {
  /** For events the plan does not know: its global rules only. */
  unplanned: EventRules
  events: WeakMap<CompiledEvent, EventRules>
}

/**
 * Merged rules per plan and per planned event. This step runs for every event, so merging
 * happens once (STYLE 6) and each event pays two WeakMap lookups; a reloaded plan gets fresh
 * entries and the old ones go with it.
 */
const cache = new WeakMap<CompiledPlan, PlanRules>()

/**
 * The privacy stage (SPEC §5 Privacy): the plan's global rules, then the event's own rules
 * (which win), applied to the canonical id fields and to properties at every depth. Returns a
 * new event when a rule changed something and the same event otherwise.
 */
export function privacy(event: CanonicalEvent, ctx: BatchContext): StepResult {
  // A quarantine replay's payload was masked on the way in; hashing twice would split a user in two.
  if (ctx.privacyApplied === true) return { ok: true, event }
  const rules = rulesFor(ctx.plan, ctx.plan.events.get(event.eventName))
  if (rules.properties.size === 0) return { ok: true, event }
  const ids = maskCanonical(event, rules.canonical, ctx.privacyKey)
  const properties = maskValue(event.properties, rules.properties, ctx.privacyKey) as Record<string, unknown>
  if (ids === undefined && properties === event.properties) return { ok: true, event }
  return { ok: true, event: { ...event, ...ids, properties } }
}

function maskCanonical(event: CanonicalEvent, canonical: EventRules['canonical'], key: Buffer): Partial<Record<CanonicalKey, string | null>> | undefined {
  let changed: Partial<Record<CanonicalKey, string | null>> | undefined
  for (const [field, rule] of canonical) {
    const value = event[field]
    if (value === null) continue
    const result = applyRule(rule, value, key)
    // A canonical field is a string column: a dropped value (`secret`) becomes null.
    const next = result.keep && typeof result.value === 'string' ? result.value : null
    if (next !== value) (changed ??= {})[field] = next
  }
  return changed
}

function rulesFor(plan: CompiledPlan, spec: CompiledEvent | undefined): EventRules {
  let planRules = cache.get(plan)
  if (planRules === undefined) {
    planRules = { unplanned: compileRules(plan.privacy), events: new WeakMap() }
    cache.set(plan, planRules)
  }
  if (spec === undefined) return planRules.unplanned
  let rules = planRules.events.get(spec)
  if (rules === undefined) {
    rules = compileRules(plan.privacy, spec.privacy)
    planRules.events.set(spec, rules)
  }
  return rules
}

function compileRules(global: Rules, own?: Rules): EventRules {
  const merged = mergeRules(global, own)
  const canonical = Object.entries(CANONICAL).flatMap(([name, field]) => {
    const rule = merged.get(name)
    return rule === undefined ? [] : [[field, rule] as const]
  })
  return { properties: withSpellings(merged), canonical }
}
