import type { Intake } from '../intake/intake.js'
import { bump, dropReason, emptyTally, type Tally } from '../metrics/metrics.js'
import type { BatchContext } from '../pipeline/context.js'
import type { CanonicalEvent } from '../pipeline/event.js'
import { processBatch, quarantineRows, type BatchOptions, type Refused } from '../pipeline/pipeline.js'

/** `dropped`: deliberately not stored (the user opted out); never quarantined. */
export type EventStatus = 'accepted' | 'duplicate' | 'rejected' | 'dropped'

export interface EventAnswer {
  index: number
  event_id: string | null
  status: EventStatus
  code?: string
  path?: string
  message?: string
}

export interface BatchAnswer {
  accepted: number
  duplicate: number
  rejected: number
  dropped: number
  results: EventAnswer[]
}

export interface IngestOptions extends BatchOptions {
  /** Privacy for quarantined inputs (SPEC §5: masking applies before anything is stored, quarantine included). */
  maskForQuarantine?: (raw: unknown) => unknown
}

export interface IngestResult {
  answer: BatchAnswer
  tally: Tally
  /** Events committed by this call (not the duplicates), for the realtime sinks. */
  stored: CanonicalEvent[]
}

/**
 * One input (an HTTP batch) through the pipeline and into the intake. Resolves when every
 * accepted event is durable; the answer lists each event as accepted, duplicate or rejected.
 * Refused events go to quarantine in the same commit.
 */
export async function ingestBatch(raws: readonly unknown[], ctx: BatchContext, intake: Intake, opts: IngestOptions = {}): Promise<IngestResult> {
  const { accepted, refused, dropped } = processBatch(raws, ctx, opts)
  const events = accepted.map((a) => a.event)
  const outcomes = await intake.submit({ events, heartbeats: [], quarantine: quarantineRows(raws, refused, ctx, opts.maskForQuarantine) })
  const tally = emptyTally()
  tally.received = raws.length
  const results: EventAnswer[] = new Array(raws.length)
  const stored: CanonicalEvent[] = []
  accepted.forEach(({ index, event }, i) => {
    const status = outcomes[i] === 'stored' ? 'accepted' : 'duplicate'
    if (status === 'accepted') { tally.stored++; stored.push(event) } else tally.duplicate++
    results[index] = { index, event_id: event.eventId, status }
  })
  for (const r of refused) {
    bump(tally.rejected, r.rejection.code)
    results[r.index] = refusedAnswer(r, 'rejected')
  }
  for (const r of dropped) {
    bump(tally.dropped, dropReason(r.rejection.code))
    results[r.index] = refusedAnswer(r, 'dropped')
  }
  const answer = { accepted: tally.stored, duplicate: tally.duplicate, rejected: refused.length, dropped: dropped.length, results }
  return { answer, tally, stored }
}

function refusedAnswer(r: Refused, status: 'rejected' | 'dropped'): EventAnswer {
  return { index: r.index, event_id: r.eventId, status, code: r.rejection.code, path: r.rejection.path, message: r.rejection.message }
}
