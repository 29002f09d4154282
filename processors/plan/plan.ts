/** The tracking plan as loaded from YAML (see tracking-plan/default.yaml for the format). */
export type PrivacyRule = 'phone' | 'id_number' | 'address' | 'secret' | 'hash'

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
  /** Privacy rules by field name for every event: canonical fields (`user_id`) and properties alike. */
  privacy?: Record<string, PrivacyRule>
  events: Record<string, EventSpec>
}
