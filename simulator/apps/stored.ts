/**
 * What the gateway stores of an accepted event, read the way processors/pipeline/normalize.ts
 * reads it, written down separately so the ground truth stays an independent account: the
 * canonical top-level fields are kept as fields, every other top-level key is folded into the
 * properties (which win over it), and ids sent only inside the properties are lifted to the top.
 * The default tracking plan masks none of what the apps send (README "Privacy") and claims no
 * canonical field of theirs as a property.
 */

/** The event model's canonical string fields (README "One event model"). */
const CANONICAL: ReadonlySet<string> = new Set(['user_id', 'session_id', 'store_id', 'device_id', 'platform', 'app_version', 'channel', 'device_type', 'correlation_id'])
/** Ids found only inside the properties are copied to the top. */
const LIFTED = ['store_id', 'device_id', 'user_id', 'session_id'] as const
/** The escort platform's `miniapp` is stored as `miniprogram` (SPEC §2). */
const PLATFORM_ALIASES: Readonly<Record<string, string>> = { miniapp: 'miniprogram' }

export interface StoredEvent {
  /** Canonical fields that have a value, snake_case. */
  fields: Record<string, string>
  /** Properties, snake_case, money in minor units. */
  props: Record<string, unknown>
}

/** The stored form of an event whose shape (gateway/http/shapes) left `top` beside `properties`. */
export function storedOf(top: Record<string, unknown>, properties: Record<string, unknown>): StoredEvent {
  const fields: Record<string, string> = {}
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(top)) {
    if (!CANONICAL.has(key)) extra[key] = value
    else if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value)
  }
  const props = { ...extra, ...properties }
  for (const key of LIFTED) {
    const inside = props[key]
    if (fields[key] === undefined && typeof inside === 'string') fields[key] = inside
  }
  if (fields.platform !== undefined) fields.platform = PLATFORM_ALIASES[fields.platform] ?? fields.platform
  return { fields, props }
}
