import { errors, PulseGateError } from '../errors.js'
import type { EventStore, WriteBatch } from '../store/event-store.js'
import { eventKey } from '../store/rows.js'
import type { EventOutcome, Intake, Submission, SubmitOptions } from './intake.js'

export interface GroupCommitOptions {
  /** Rows one transaction writes at most. */
  maxBatchRows: number
  /** Rows waiting beyond which submissions are refused or made to wait. */
  maxQueuedRows: number
  /** Transactions in flight at once (the store's connection count). */
  concurrency: number
  /** Called after each commit, for metrics. */
  onCommit?: (info: { rows: number; submissions: number; ms: number }) => void
}

interface Pending {
  submission: Submission
  rows: number
  resolve: (outcomes: EventOutcome[]) => void
  reject: (err: Error) => void
}

const rowsOf = (s: Submission): number => s.events.length + s.heartbeats.length + s.quarantine.length

/**
 * Group commit: submissions queue while a transaction is in flight, and the next transaction
 * takes everything queued (up to `maxBatchRows`). Under light load each submission commits
 * alone, one event-loop turn after it arrives; under heavy load hundreds share one commit, so
 * the commit's cost (an fsync, on PostgreSQL) is paid per batch, not per request.
 */
export function createGroupCommitIntake(store: EventStore, opts: GroupCommitOptions): Intake {
  const queue: Pending[] = []
  const waiters: Array<() => void> = []
  let queuedRows = 0
  let inFlight = 0
  let inFlightRows = 0
  let closing = false
  let idle: (() => void) | undefined

  let scheduled = false
  // Commits start one event-loop turn after work arrives, not at once: PGlite runs a whole
  // transaction without yielding, so without this turn no socket is read between two commits
  // and every commit would carry one submission (measured: 1 row per commit under load).
  const pump = (): void => {
    if (scheduled || inFlight >= opts.concurrency || queue.length === 0) return
    scheduled = true
    setImmediate(flush)
  }
  const flush = (): void => {
    scheduled = false
    while (inFlight < opts.concurrency && queue.length > 0) {
      const group = takeGroup(queue, opts.maxBatchRows)
      const rows = group.reduce((n, p) => n + p.rows, 0)
      queuedRows -= rows
      inFlight++
      inFlightRows += rows
      releaseWaiters()
      void commit(store, group, opts).finally(() => {
        inFlight--
        inFlightRows -= rows
        pump()
        if (inFlight === 0 && queue.length === 0) idle?.()
      })
    }
  }
  const releaseWaiters = (): void => {
    while (waiters.length > 0 && queuedRows < opts.maxQueuedRows) waiters.shift()?.()
  }

  return {
    async submit(submission, submitOpts: SubmitOptions = { whenFull: 'reject' }) {
      if (closing) throw new PulseGateError(errors.SHUTTING_DOWN)
      const rows = rowsOf(submission)
      if (rows === 0) return []
      while (queuedRows > 0 && queuedRows + rows > opts.maxQueuedRows) {
        if (submitOpts.whenFull === 'reject') throw new PulseGateError(errors.OVERLOADED, `${queuedRows} rows queued`)
        await new Promise<void>((resolve) => waiters.push(resolve))
        if (closing) throw new PulseGateError(errors.SHUTTING_DOWN)
      }
      return new Promise<EventOutcome[]>((resolve, reject) => {
        queue.push({ submission, rows, resolve, reject })
        queuedRows += rows
        pump()
      })
    },
    depth: () => queuedRows + inFlightRows,
    async close() {
      closing = true
      for (const w of waiters.splice(0)) w()
      if (inFlight === 0 && queue.length === 0) return
      await new Promise<void>((resolve) => { idle = resolve })
    }
  }
}

function takeGroup(queue: Pending[], maxRows: number): Pending[] {
  const group: Pending[] = []
  let rows = 0
  // Always take one, even when it alone is over the limit: a submission is never split.
  while (queue.length > 0 && (group.length === 0 || rows + (queue[0]?.rows ?? 0) <= maxRows)) {
    const next = queue.shift() as Pending
    rows += next.rows
    group.push(next)
  }
  return group
}

async function commit(store: EventStore, group: Pending[], opts: GroupCommitOptions): Promise<void> {
  const started = performance.now()
  const { batch, firstSeen } = merge(group)
  try {
    const fresh = await store.write(batch)
    for (const p of group) p.resolve(outcomes(p.submission, fresh, firstSeen))
    opts.onCommit?.({ rows: batch.events.length + batch.heartbeats.length + batch.quarantine.length, submissions: group.length, ms: performance.now() - started })
  } catch (err) {
    // One submission the store refuses (a value it cannot hold) must not fail the others it
    // was grouped with: commit them one by one, so only the culprit is answered with an error.
    if (group.length > 1) {
      for (const p of group) await commit(store, [p], opts)
      return
    }
    const failure = new PulseGateError(errors.STORE_UNAVAILABLE, (err as Error).message, { cause: err })
    for (const p of group) p.reject(failure)
  }
}

/**
 * Joins the group into one write. An event sent twice within the group (two concurrent
 * requests carrying the same retry) is written once; `firstSeen` remembers which copy wins
 * so the other is answered as a duplicate.
 */
function merge(group: Pending[]): { batch: WriteBatch; firstSeen: Map<string, unknown> } {
  const batch: WriteBatch = { events: [], heartbeats: [], quarantine: [] }
  const firstSeen = new Map<string, unknown>()
  for (const { submission: s } of group) {
    for (const e of s.events) {
      const key = eventKey(e.appId, e.eventId)
      if (firstSeen.has(key)) continue
      firstSeen.set(key, e)
      batch.events.push(e)
    }
    batch.heartbeats.push(...s.heartbeats)
    batch.quarantine.push(...s.quarantine)
  }
  return { batch, firstSeen }
}

function outcomes(s: Submission, fresh: Set<string>, firstSeen: Map<string, unknown>): EventOutcome[] {
  return s.events.map((e) => {
    const key = eventKey(e.appId, e.eventId)
    return fresh.has(key) && firstSeen.get(key) === e ? 'stored' : 'duplicate'
  })
}
