/**
 * The escort platform's tracking API (seed 000 §5.2.2): `POST /tracking/events/batch`
 * `{ events: TrackingEvent[] }` (what its SDK's `flush()` posts, §5.1.1) and
 * `POST /tracking/events`, one `TrackingEvent` (§3.1).
 *
 * A TrackingEvent is camelCase. Its canonical fields become ours by snake-casing the key
 * (eventId → event_id, eventTime → event_time, userId, deviceId, sessionId, deviceType,
 * appVersion); its `platform: 'miniapp'` is left for normalize to read as `miniprogram`; its
 * other top-level fields (escortId, osName, osVersion, latitude, longitude, cityCode, source,
 * campaign, referrer, utmSource, utmMedium, utmCampaign) become snake_case top-level fields,
 * which normalize folds into properties, where the plan declares them (tracking-plan/default.yaml,
 * "Escort-platform SDK context"). A property sent inside `properties` wins over a context
 * field of the same name (page_view's page `referrer` over the acquisition `referrer`).
 *
 * Property keys are snake-cased too, at the first level only: the plan declares the seed's key
 * properties as `order_id`, `page_path`, ... and makes some required and idempotency keys
 * ("Property keys arrive camelCase from its SDK (orderId) and are snake_cased by the route").
 * Where a body holds a key in both spellings, the snake_case one as sent wins.
 * `amount` is left as sent: seed 000 does not say whether it is yuan or fen.
 */
import { batchOf, isObject, singleOf, type Converted, type JsonObject, type Shape } from './shape.js'

export const escortBatch: Shape = (body) => batchOf(isObject(body) ? snakeKeys(body) : body, trackingEvent)

export const escortSingle: Shape = (body) => singleOf(isObject(body) ? snakeKeys(body) : body, asSnake)

function trackingEvent(raw: unknown): Converted {
  return { event: isObject(raw) ? snakeEvent(snakeKeys(raw)) : raw }
}

/** `singleOf` hands over the body already snake-cased at the top level. */
function asSnake(raw: unknown): Converted {
  return { event: isObject(raw) ? snakeEvent(raw) : raw }
}

function snakeEvent(event: JsonObject): JsonObject {
  return isObject(event.properties) ? { ...event, properties: snakeKeys(event.properties) } : event
}

/** `utmSource` → `utm_source`, `pageURL` → `page_url`; snake_case keys are kept as they are. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase()
}

/**
 * The object with its own keys snake-cased, in their order; a key already in snake_case wins
 * over its camelCase twin. Built with fromEntries, so a `__proto__` key stays a plain key.
 */
export function snakeKeys(o: JsonObject): JsonObject {
  const entries = Object.entries(o)
  const asSent = new Set(entries.map(([k]) => k).filter((k) => snakeCase(k) === k))
  return Object.fromEntries(entries.flatMap(([k, v]) => {
    const s = snakeCase(k)
    return s === k || !asSent.has(s) ? [[s, v] as const] : []
  }))
}
