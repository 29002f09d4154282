import type { PrivacyRule } from '../plan/plan.js'
import type { Rules } from './apply.js'

/** `id_number` → `idNumber`. */
export function camelOf(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** `idNumber` → `id_number`, `userID` → `user_id`. */
export function snakeOf(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

/** Layers of rules by field name; a later layer wins (an event's own rule over the plan-wide one). */
export function mergeRules(...layers: ReadonlyArray<Rules | undefined>): Map<string, PrivacyRule> {
  const out = new Map<string, PrivacyRule>()
  for (const layer of layers) layer?.forEach((rule, name) => out.set(name, rule))
  return out
}

/**
 * Adds the camelCase and snake_case spelling of every name (the escort SDK sends `idNumber`
 * where the plan says `id_number`). A name the plan spells out itself keeps its own rule.
 */
export function withSpellings(rules: Rules): Rules {
  const out = new Map(rules)
  for (const [name, rule] of rules) {
    for (const other of [camelOf(name), snakeOf(name)]) if (!out.has(other)) out.set(other, rule)
  }
  return out
}

/** Dropping beats pseudonymising beats masking; a phone keeps fewer characters than an ID number. */
const STRICTNESS: readonly PrivacyRule[] = ['secret', 'hash', 'phone', 'id_number', 'address']

/** The stricter of two rules, for a field name that different events protect differently. */
export function stricter(a: PrivacyRule, b: PrivacyRule): PrivacyRule {
  // An unknown rule ranks first (-1): applyRule drops its values, the strictest outcome.
  const rank = (r: PrivacyRule): number => STRICTNESS.indexOf(r)
  return rank(b) < rank(a) ? b : a
}
