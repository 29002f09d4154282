import { createHash } from 'node:crypto'
import type { BatchContext } from './context.js'
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
  const keyValue = keyName === undefined ? undefined : event.properties[keyName]
  if (typeof keyValue === 'string' || typeof keyValue === 'number') {
    return { ok: true, event: { ...event, eventId: `k:${event.eventName}:${String(keyValue)}`.slice(0, 128) } }
  }
  return { ok: true, event: { ...event, eventId: derivedId(event) } }
}

export function derivedId(e: Pick<CanonicalEvent, 'eventName' | 'userId' | 'sessionId' | 'deviceId' | 'eventTime'>): string {
  const basis = JSON.stringify([e.eventName, e.userId, e.sessionId, e.deviceId, Math.floor(e.eventTime / 1000)])
  return 'd:' + createHash('sha256').update(basis).digest('base64url').slice(0, 32)
}
