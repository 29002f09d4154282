import type { Db } from '../db/db.js'
import { audit } from '../access/audit.js'
import type { Intake } from '../intake/intake.js'
import { bump, dropReason, emptyTally, type Tally } from '../metrics/metrics.js'
import type { BatchContext } from '../pipeline/context.js'
import type { CanonicalEvent, Rejection } from '../pipeline/event.js'
import { processBatch, type Steps } from '../pipeline/pipeline.js'
import { listQuarantine, type QuarantineFilter, type QuarantineItem } from './list.js'

export interface ReplayDeps {
  db: Db
  intake: Intake
  steps: Steps
  /**
   * The batch context a quarantined row is replayed in (today's plan of the version it
   * declared, its app and times), or why no plan can take it (a version still unknown).
   */
  contextOf(item: QuarantineItem): { ctx: BatchContext; refusal?: Rejection }
}

export type ReplayStatus = 'accepted' | 'duplicate' | 'rejected' | 'dropped'
export interface ReplayOutcome { id: number; status: ReplayStatus; event_id: string | null; code?: string; message?: string }
export interface ReplayResult { accepted: number; duplicate: number; rejected: number; dropped: number; results: ReplayOutcome[]; tally: Tally }

/**
 * Re-validates quarantined inputs against the current plan and stores those that now pass
 * (SPEC §4). Exactly once: the event id is computed as on first arrival (client id, plan key,
 * or derived), so a second replay, or one racing another, finds the key taken and reports a
 * duplicate. Rows that pass are marked replayed; rows still refused get today's reason.
 * Payloads were masked when quarantined, so the privacy step does not run again.
 */
export async function replayQuarantine(deps: ReplayDeps, filter: QuarantineFilter, actor: string): Promise<ReplayResult> {
  const items = await listQuarantine(deps.db, { ...filter, includeReplayed: false })
  const passed: Array<{ item: QuarantineItem; event: CanonicalEvent }> = []
  const results = new Map<number, ReplayOutcome>()
  for (const item of items) {
    const { ctx, refusal } = deps.contextOf(item)
    const preRejected = refusal === undefined ? undefined : new Map([[0, refusal]])
    const batch = processBatch([item.payload], { ...ctx, privacyApplied: true }, { steps: deps.steps, preRejected })
    const accepted = batch.accepted[0]
    if (accepted !== undefined) { passed.push({ item, event: { ...accepted.event, flags: [...accepted.event.flags, 'replayed'] } }); continue }
    const refused = batch.dropped[0] ?? batch.refused[0]
    if (refused === undefined) continue
    const { code, message } = refused.rejection
    results.set(item.id, { id: item.id, status: refused.rejection.drop === true ? 'dropped' : 'rejected', event_id: refused.eventId, code, message })
  }
  const outcomes = passed.length === 0 ? [] : await deps.intake.submit({ events: passed.map((p) => p.event), heartbeats: [], quarantine: [] }, { whenFull: 'wait' })
  passed.forEach(({ item, event }, i) => {
    results.set(item.id, { id: item.id, status: outcomes[i] === 'stored' ? 'accepted' : 'duplicate', event_id: event.eventId })
  })
  const ordered = items.flatMap((item) => results.get(item.id) ?? [])
  const result = summarize(ordered)
  await record(deps.db, ordered, result, actor)
  return result
}

function summarize(results: ReplayOutcome[]): ReplayResult {
  const out: ReplayResult = { accepted: 0, duplicate: 0, rejected: 0, dropped: 0, results, tally: emptyTally() }
  for (const r of results) {
    out[r.status]++
    out.tally.received++
    if (r.status === 'accepted') out.tally.stored++
    else if (r.status === 'duplicate') out.tally.duplicate++
    else if (r.status === 'rejected') bump(out.tally.rejected, r.code ?? 'invalid')
    else bump(out.tally.dropped, dropReason(r.code ?? 'opted_out'))
  }
  return out
}

/** Marks what passed (or was dropped) as replayed, gives the rest today's reason, and audits the call. */
async function record(db: Db, results: ReplayOutcome[], summary: ReplayResult, actor: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const r of results) {
      if (r.status === 'rejected') await tx.query('UPDATE quarantine SET code = $2, message = $3 WHERE id = $1', [r.id, r.code, r.message])
      else await tx.query('UPDATE quarantine SET replayed_at = now(), replay_event_id = $2 WHERE id = $1', [r.id, r.event_id])
    }
    const { accepted, duplicate, rejected, dropped } = summary
    await audit(tx, { actor, action: 'quarantine.replay', details: { rows: results.length, accepted, duplicate, rejected, dropped } })
  })
}
