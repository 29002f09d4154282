import { createHash } from 'node:crypto'
import type { BatchContext } from './context.js'
import { CANONICAL_VALUE } from './event.js'
import type { CanonicalEvent } from './event.js'
import type { StepResult } from './normalize.js'

/**
 * Gives every event its dedup identity (SPEC §5): the client's `event_id`; else the plan's
 * idempotency key (`payment_id` of a `payment_success`), so a payment is stored once however
 * it is retried; else an id derived from (name, user, session, device, event time to the
 * second), so retries within that second collapse.
 */
export function identify(event: CanonicalEvent, ctx: BatchContext): StepResult {
  if (event.eventId !== '') return { ok: true, event }
  const keyName = ctx.plan.events.get(event.eventName)?.idempotencyKey
  const keyValue = keyName === undefined ? undefined : event.properties[keyName] ?? canonicalValue(event, keyName)
  // An empty key identifies nothing: all such events would collapse into one.
  if ((typeof keyValue === 'string' && keyValue !== '') || typeof keyValue === 'number') {
    return { ok: true, event: { ...event, eventId: `k:${event.eventName}:${String(keyValue)}`.slice(0, 128) } }
  }
  return { ok: true, event: { ...event, eventId: derivedId(event) } }
}

/** A key such as `session_id` may have been lifted to the top level by normalize. */
function canonicalValue(event: CanonicalEvent, field: string): string | null | undefined {
  const key = CANONICAL_VALUE[field as keyof typeof CANONICAL_VALUE]
  return key === undefined ? undefined : event[key]
}

export function derivedId(e: Pick<CanonicalEvent, 'eventName' | 'userId' | 'sessionId' | 'deviceId' | 'eventTime'>): string {
  const basis = JSON.stringify([e.eventName, e.userId, e.sessionId, e.deviceId, Math.floor(e.eventTime / 1000)])
  return 'd:' + createHash('sha256').update(basis).digest('base64url').slice(0, 32)
}
