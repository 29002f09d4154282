/** The tracking plan as loaded from YAML (see tracking-plan/default.yaml for the format). */
export type PrivacyRule = 'phone' | 'id_number' | 'address' | 'secret' | 'hash'

/** Every privacy rule the privacy stage implements (SPEC §5); anything else is a plan error. */
export const PRIVACY_RULES: readonly PrivacyRule[] = ['phone', 'id_number', 'address', 'secret', 'hash']

/** Top-level event fields a plan may declare as properties; validation finds them in either place. */
export const CANONICAL_FIELDS = ['user_id', 'session_id', 'store_id', 'device_id'] as const

export interface PropertySpec {
  required?: boolean
  privacy?: PrivacyRule
  unit?: 'minor'
  /** Everything else is a JSON-schema fragment. */
  [keyword: string]: unknown
}

export interface EventSpec {
  description?: string
  group?: string
  idempotency_key?: string
  additional_properties?: boolean
  properties?: Record<string, PropertySpec>
}

export interface PlanDocument {
  version: string
  unplanned: 'reject' | 'accept'
  additional_properties?: boolean
  /**
   * Privacy rules by field name for every event: canonical fields (`user_id`) and properties
   * alike. A property's own `privacy` wins over the global rule of the same name.
   */
  privacy?: Record<string, PrivacyRule>
  events: Record<string, EventSpec>
}

/** One thing wrong with a plan document, located so that a linter can point at it. */
export interface PlanProblem {
  /** Keys from the document root to the offending node: `['events', 'qr_scan', 'properties', 'amount', 'unit']`. */
  path: readonly string[]
  /** `event.property`, `event`, `privacy.field`, or `''` for the plan as a whole. */
  subject: string
  message: string
  severity: 'error' | 'warning'
  /** The underlying error (ajv's), when there is one. */
  cause?: unknown
}

/** One problem as text: `event qr_scan.amount: unit must be minor, not "cents"`. */
export function describeProblem(p: PlanProblem): string {
  if (p.subject === '') return p.message
  return p.path[0] === 'events' ? `event ${p.subject}: ${p.message}` : `${p.subject}: ${p.message}`
}
