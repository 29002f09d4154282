import type { BatchContext } from './context.js'
import type { CanonicalEvent } from './event.js'
import type { StepResult } from './normalize.js'

/**
 * Sets `occurredAt` (SPEC §4). `receivedAt - sentAt` is the client's clock error plus transit
 * time; below the threshold nothing moves, so transit time never reorders a device's events.
 * Above it the whole batch shifts by that amount. An event still stamped after its receipt
 * (beyond the same tolerance) is clamped to `receivedAt`; old ones are flagged `late`, and
 * ones older than retention are refused (their partition is gone).
 */
export function correctTime(event: CanonicalEvent, ctx: BatchContext): StepResult {
  const { skewThresholdMs, lateAfterMs, retentionMs } = ctx.limits
  const flags = [...event.flags]
  const skew = ctx.sentAt === null ? 0 : ctx.receivedAt - ctx.sentAt
  const skewMs = Math.abs(skew) > skewThresholdMs ? skew : 0
  let occurredAt = event.eventTime + skewMs
  if (skewMs !== 0) flags.push('clock_skew')
  if (occurredAt > ctx.receivedAt + skewThresholdMs) {
    occurredAt = ctx.receivedAt
    if (!flags.includes('clock_skew')) flags.push('clock_skew')
  }
  if (ctx.receivedAt - occurredAt > retentionMs) {
    return { ok: false, rejection: { code: 'out_of_retention', path: '/event_time', message: `older than the ${Math.round(retentionMs / 86_400_000)}-day retention` } }
  }
  if (ctx.receivedAt - occurredAt > lateAfterMs) flags.push('late')
  return { ok: true, event: { ...event, occurredAt, skewMs, flags } }
}
