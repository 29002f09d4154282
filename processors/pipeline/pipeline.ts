import type { BatchContext } from './context.js'
import { correctTime } from './correct-time.js'
import type { CanonicalEvent, QuarantineRow, Rejection } from './event.js'
import { identify } from './identify.js'
import { normalize, type StepResult } from './normalize.js'
import { validate } from './validate.js'

export type Step = (event: CanonicalEvent, ctx: BatchContext) => StepResult

/**
 * What happens to an event, in order. Each step is a pure function; only the sinks behind the
 * intake do I/O. Later stages (privacy, flags) join this list.
 */
export const steps: ReadonlyArray<readonly [string, Step]> = [
  ['validate', validate],
  ['identify', identify],
  ['correctTime', correctTime]
]

export interface Refused {
  index: number
  eventId: string | null
  eventName: string | null
  rejection: Rejection
}

export interface ProcessedBatch {
  /** Accepted events with their index in the input. */
  accepted: Array<{ index: number; event: CanonicalEvent }>
  refused: Refused[]
}

export function processBatch(raws: readonly unknown[], ctx: BatchContext): ProcessedBatch {
  const out: ProcessedBatch = { accepted: [], refused: [] }
  raws.forEach((raw, index) => {
    const result = processOne(raw, ctx)
    if (result.ok) out.accepted.push({ index, event: result.event })
    else out.refused.push({ index, eventId: field(raw, 'event_id'), eventName: field(raw, 'event_name'), rejection: result.rejection })
  })
  return out
}

export function processOne(raw: unknown, ctx: BatchContext): StepResult {
  if (ctx.checkEventSize && Buffer.byteLength(JSON.stringify(raw) ?? '') > ctx.limits.maxEventBytes) {
    return { ok: false, rejection: { code: 'too_large', path: '', message: `the event is over max_event_bytes (${ctx.limits.maxEventBytes})` } }
  }
  let result = normalize(raw, ctx)
  for (const [, step] of steps) {
    if (!result.ok) return result
    result = step(result.event, ctx)
  }
  return result
}

/** Refused inputs as quarantine rows. */
export function quarantineRows(raws: readonly unknown[], refused: Refused[], ctx: BatchContext): QuarantineRow[] {
  return refused.map((r) => ({
    appId: ctx.appId, receivedAt: ctx.receivedAt, source: ctx.source, eventId: r.eventId, eventName: r.eventName,
    code: r.rejection.code, path: r.rejection.path, message: r.rejection.message, payload: raws[r.index] ?? null
  }))
}

function field(raw: unknown, name: string): string | null {
  const v = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined
  return typeof v === 'string' ? v.slice(0, 128) : null
}
