import { rejectionOf, type CompiledEvent } from '../plan/compile.js'
import type { BatchContext } from './context.js'
import { CANONICAL_VALUE, type CanonicalEvent } from './event.js'
import type { StepResult } from './normalize.js'

/** Checks the event against its tracking-plan entry; unplanned events are refused or flagged, by the plan's setting. */
export function validate(event: CanonicalEvent, ctx: BatchContext): StepResult {
  const spec = ctx.plan.events.get(event.eventName)
  if (spec === undefined) {
    if (ctx.plan.unplanned === 'reject') {
      return { ok: false, rejection: { code: 'unplanned_event', path: '/event_name', message: `${event.eventName} is not in the tracking plan` } }
    }
    return { ok: true, event: { ...event, flags: [...event.flags, 'unplanned'] } }
  }
  if (spec.validate(viewOf(event, spec))) return { ok: true, event }
  return { ok: false, rejection: rejectionOf(spec.validate.errors?.[0]) }
}

/** Properties, with the canonical fields the plan declares filled in from the top level. */
function viewOf(event: CanonicalEvent, spec: CompiledEvent): Record<string, unknown> {
  if (spec.canonical.length === 0) return event.properties
  const view = { ...event.properties }
  for (const field of spec.canonical) {
    const value = event[CANONICAL_VALUE[field as keyof typeof CANONICAL_VALUE]]
    if (view[field] === undefined && value !== null) view[field] = value
  }
  return view
}
