import type { CompiledEvent, CompiledPlan } from '../plan/compile.js'
import type { PrivacyRule } from '../plan/plan.js'
import { maskValue, type Rules } from './apply.js'
import { mergeRules, stricter, withSpellings } from './rules.js'

interface PayloadRules {
  /** Every property rule anywhere in the plan, then the global rules, by the plan's own names. */
  merged: Rules
  /** `merged` with both spellings of each name: for any refused event. */
  base: Rules
  /** `base` with a planned event's own rules on top. */
  events: WeakMap<CompiledEvent, Rules>
}

const cache = new WeakMap<CompiledPlan, PayloadRules>()

/**
 * A refused raw event masked before quarantine keeps it (SPEC §4 Partial success, §5 Privacy).
 * Refused events are exactly the ones we cannot trust: the name may be unknown or misspelt,
 * fields may sit at the top level, in `properties` or deeper, snake_case or camelCase. So the
 * rules are the widest we have: every property rule declared anywhere in the plan (a `phone`
 * is masked even on an unknown event), the global rules, and the named event's own rules, on
 * both spellings of each name. Long strings are left as they are: size limits are not this
 * function's business. Non-objects are returned as they are.
 */
export function maskRawPayload(raw: unknown, plan: CompiledPlan, key: Buffer): unknown {
  if (raw === null || typeof raw !== 'object') return raw
  return maskValue(raw, rulesFor(plan, eventNameOf(raw)), key)
}

function eventNameOf(raw: object): string | undefined {
  const r = raw as Record<string, unknown>
  const name = r.event_name ?? r.eventName
  return typeof name === 'string' ? name : undefined
}

function rulesFor(plan: CompiledPlan, eventName: string | undefined): Rules {
  let rules = cache.get(plan)
  if (rules === undefined) {
    const merged = mergeRules(unionOf(plan), plan.privacy)
    rules = { merged, base: withSpellings(merged), events: new WeakMap() }
    cache.set(plan, rules)
  }
  // `get` on a Map, never an index into an object: `__proto__` as a name finds nothing.
  const spec = eventName === undefined ? undefined : plan.events.get(eventName)
  if (spec === undefined || spec.privacy.size === 0) return rules.base
  let own = rules.events.get(spec)
  if (own === undefined) {
    // Spelled after merging, so the event's `id_number` rule also governs `idNumber`.
    own = withSpellings(mergeRules(rules.merged, spec.privacy))
    rules.events.set(spec, own)
  }
  return own
}

/** Every property rule of every event; where two events disagree on a name, the stricter rule. */
function unionOf(plan: CompiledPlan): Map<string, PrivacyRule> {
  const union = new Map<string, PrivacyRule>()
  for (const spec of plan.events.values()) {
    for (const [name, rule] of spec.privacy) {
      const seen = union.get(name)
      union.set(name, seen === undefined ? rule : stricter(seen, rule))
    }
  }
  return union
}
