/**
 * A draft is one event as a generator means it, before a wire format writes it and before
 * faults touch it. Generators list, per event, the ways it can be broken (`breaks`), each with
 * the rejection code the gateway gives it (docs/errors.md): they know which properties the
 * tracking plan requires (tracking-plan/default.yaml).
 */
export interface Draft {
  /** The tracking plan's event name (what the gateway stores, after a route's renames). */
  name: string
  /** When it happens on the true clock, ms since epoch. */
  at: number
  /** The client's event_id, or null when its client sends none (seed 002's report records). */
  id: string | null
  /**
   * The id the gateway derives from the plan's idempotency key when `id` is null,
   * `k:<event>:<value>` (README "Dedup"); null when it falls back to a hashed id.
   */
  key: string | null
  /** Canonical top-level fields, snake_case (user_id, session_id, store_id, platform ...). */
  fields: Record<string, unknown>
  /** Properties, snake_case; wire formats that speak camelCase convert them. */
  props: Record<string, unknown>
  /** Ways to make this event invalid; empty when it cannot be. */
  breaks: Break[]
}

export interface Break {
  /** The gateway's rejection code for the broken event. */
  reason: string
  apply(d: Draft): void
}

/** Removes a required property, wherever the draft holds it → `required_missing`. */
export const drop = (field: string): Break => ({
  reason: 'required_missing',
  apply: (d) => {
    delete d.fields[field]
    delete d.props[field]
  }
})

/** Sends a property with a type the plan does not allow → `type_mismatch`. */
export const mistype = (field: string, value: unknown): Break => ({
  reason: 'type_mismatch',
  apply: (d) => {
    d.props[field] = value
  }
})

/** Three decimals of yuan on a report route → `bad_amount` (gateway/http/shapes/money.ts). */
export const badAmount: Break = {
  reason: 'bad_amount',
  apply: (d) => {
    d.props.amount = '19.999'
  }
}

export function draft(name: string, at: number, init: Partial<Omit<Draft, 'name' | 'at'>>): Draft {
  // Whole milliseconds: arrival gaps are fractional, and a request must be due when its sent_at says.
  return { name, at: Math.floor(at), id: null, key: null, fields: {}, props: {}, breaks: [], ...init }
}
