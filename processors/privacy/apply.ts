import { MAX_EVENT_DEPTH } from '../pipeline/depth.js'
import type { PrivacyRule } from '../plan/plan.js'
import { cityOf, hmacId, isPlainObject, maskIdNumber, maskPhone } from './mask.js'

/** Privacy rules by field name. */
export type Rules = ReadonlyMap<string, PrivacyRule>

export type RuleResult = { keep: true; value: unknown } | { keep: false }

const DROP: RuleResult = Object.freeze({ keep: false })

/**
 * One rule on one value. `secret` drops the field. Phone and ID numbers sent as JSON numbers
 * are masked as their digits; any other type cannot be masked, so it is dropped rather than
 * kept. A rule the code does not know (a typo in the plan) drops too: privacy fails closed.
 */
export function applyRule(rule: PrivacyRule, value: unknown, key: Buffer): RuleResult {
  if (rule === 'secret') return DROP
  // Nothing to hide in an absent value; keeping null keeps the field's shape.
  if (value === null || value === undefined) return { keep: true, value }
  switch (rule) {
    case 'phone': return textual(value, maskPhone)
    case 'id_number': return textual(value, maskIdNumber)
    // Numbers hash as their text, as normalize reads a numeric user_id: 42 and "42" stay one user.
    case 'hash': return textual(value, (s) => hmacId(key, s))
    case 'address': return { keep: true, value: cityOf(value) }
    default: return DROP
  }
}

function textual(value: unknown, mask: (s: string) => string): RuleResult {
  if (typeof value === 'string') return { keep: true, value: mask(value) }
  if (typeof value === 'number' && Number.isFinite(value)) return { keep: true, value: mask(String(value)) }
  return DROP
}

/**
 * A new object with the rules applied by field name at every depth: a `phone` nested in an
 * object or in an array of objects is masked too. The input is never mutated; subtrees no
 * rule touched are shared with it.
 */
export function maskFields(obj: Record<string, unknown>, rules: Rules, key: Buffer): Record<string, unknown> {
  const masked = maskValue(obj, rules, key)
  return masked === obj ? { ...obj } : masked as Record<string, unknown>
}

/**
 * Beyond this depth a subtree is not inspected but replaced by null: walking it could exhaust
 * the stack on hostile input (one bad message never takes the process down, STYLE 10), and
 * keeping it unread could keep a phone number.
 */
export const MAX_DEPTH = MAX_EVENT_DEPTH

/** The masked value, or the very same value when no rule changed anything (the cheap path). */
export function maskValue(value: unknown, rules: Rules, key: Buffer, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_DEPTH) return null
  if (Array.isArray(value)) return maskArray(value, rules, key, depth)
  return isPlainObject(value) ? maskObject(value, rules, key, depth) : value
}

function maskArray(arr: readonly unknown[], rules: Rules, key: Buffer, depth: number): unknown {
  let out: unknown[] | undefined
  arr.forEach((item, i) => {
    const next = maskValue(item, rules, key, depth + 1)
    if (Object.is(next, item)) return
    out ??= arr.slice()
    out[i] = next
  })
  return out ?? arr
}

/** Marks a field a rule removed, so "unchanged" and "removed" stay distinguishable. */
const DROPPED = Symbol('dropped')

function maskObject(obj: Record<string, unknown>, rules: Rules, key: Buffer, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  for (const field of Object.keys(obj)) {
    const value = obj[field]
    const rule = rules.get(field)
    const next = rule === undefined ? maskValue(value, rules, key, depth + 1) : outcome(applyRule(rule, value, key))
    if (Object.is(next, value)) continue
    out ??= { ...obj }
    if (next === DROPPED) delete out[field]
    else setOwn(out, field, next)
  }
  return out ?? obj
}

function outcome(result: RuleResult): unknown {
  return result.keep ? result.value : DROPPED
}

/** JSON.parse makes `__proto__` an own key; plain assignment would set the prototype instead. */
function setOwn(obj: Record<string, unknown>, field: string, value: unknown): void {
  if (field === '__proto__') Object.defineProperty(obj, field, { value, writable: true, enumerable: true, configurable: true })
  else obj[field] = value
}
