import type { BatchContext } from './context.js'
import { correctTime } from './correct-time.js'
import { MAX_EVENT_DEPTH, nestsDeeperThan } from './depth.js'
import type { CanonicalEvent, QuarantineRow, Rejection } from './event.js'
import { identify } from './identify.js'
import { normalize, type StepResult } from './normalize.js'
import { validate } from './validate.js'

export type Step = (event: CanonicalEvent, ctx: BatchContext) => StepResult
export type Steps = ReadonlyArray<readonly [string, Step]>

/**
 * What happens to an event, in order (SPEC §5: validate, dedup identity, privacy, enrich and
 * flag). Each step is a function of the event and its batch; only the sinks behind the intake
 * do I/O. The opt-out check and the flags read state the gateway keeps, so a gateway builds its
 * list with `gatewaySteps`; `steps` is the list without them.
 */
export const steps: Steps = [
  ['validate', validate],
  ['identify', identify],
  ['correctTime', correctTime]
]

export interface StatefulSteps {
  /**
   * Drops events of users who opted out: first, so nothing of theirs is kept, not even an
   * invalid event in quarantine; and before privacy, which may hash the user id.
   */
  optOut: Step
  privacy: Step
  flag: Step
}

export function gatewaySteps(s: StatefulSteps): Steps {
  return [
    ['optOut', s.optOut],
    ['validate', validate],
    ['identify', identify],
    ['privacy', s.privacy],
    ['correctTime', correctTime],
    ['flag', s.flag]
  ]
}

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
  /** Deliberately not stored (opted-out users): counted as dropped, not quarantined. */
  dropped: Refused[]
}

export interface BatchOptions {
  steps?: Steps
  /** Refusals found before the pipeline (a route's shape conversion), by index. */
  preRejected?: ReadonlyMap<number, Rejection>
}

export function processBatch(raws: readonly unknown[], ctx: BatchContext, opts: BatchOptions = {}): ProcessedBatch {
  const out: ProcessedBatch = { accepted: [], refused: [], dropped: [] }
  raws.forEach((raw, index) => {
    const pre = opts.preRejected?.get(index)
    const result = pre === undefined ? processOne(raw, ctx, opts.steps) : { ok: false as const, rejection: pre }
    if (result.ok) { out.accepted.push({ index, event: result.event }); return }
    const refused = { index, eventId: field(raw, 'event_id'), eventName: field(raw, 'event_name'), rejection: result.rejection }
    if (result.rejection.drop === true) out.dropped.push(refused)
    else out.refused.push(refused)
  })
  return out
}

export function processOne(raw: unknown, ctx: BatchContext, list: Steps = steps): StepResult {
  if (nestsDeeperThan(raw, MAX_EVENT_DEPTH)) {
    return { ok: false, rejection: { code: 'too_deep', path: '', message: `the event nests deeper than ${MAX_EVENT_DEPTH} levels` } }
  }
  if (ctx.checkEventSize && Buffer.byteLength(JSON.stringify(raw) ?? '') > ctx.limits.maxEventBytes) {
    return { ok: false, rejection: { code: 'too_large', path: '', message: `the event is over max_event_bytes (${ctx.limits.maxEventBytes})` } }
  }
  let result = normalize(raw, ctx)
  for (const [, step] of list) {
    if (!result.ok) return result
    result = step(result.event, ctx)
  }
  return result
}

/** Refused inputs as quarantine rows, each payload passed through `mask` (privacy) first. */
export function quarantineRows(raws: readonly unknown[], refused: Refused[], ctx: BatchContext, mask: (raw: unknown) => unknown = (raw) => raw): QuarantineRow[] {
  return refused.map((r) => ({
    appId: ctx.appId, receivedAt: ctx.receivedAt, source: ctx.source, eventId: r.eventId, eventName: r.eventName,
    code: r.rejection.code, path: r.rejection.path, message: r.rejection.message, payload: mask(raws[r.index] ?? null),
    sentAt: ctx.sentAt, schemaVersion: ctx.schemaVersion
  }))
}

function field(raw: unknown, name: string): string | null {
  const v = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined
  return typeof v === 'string' ? v.slice(0, 128) : null
}
