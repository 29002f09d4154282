/**
 * Runs scheduled jobs (rollups, partition upkeep) once per schedule instant across replicas,
 * and resumes them after downtime (SPEC §8).
 *
 * State lives in the `jobs` table (migration 0002): `last_scheduled_at` is the instant last
 * completed, and a lease (owner, fencing token, expiry on the *database* clock) lets one
 * process at a time run a job. Claiming is one atomic UPDATE that also requires the instant to
 * be newer than `last_scheduled_at`, so two replicas racing for one instant run it once, and
 * the result is recorded only while the run still holds its token.
 *
 * Each job has one timer, set to its next occurrence (or to a retry), never a polling scan.
 * Work for one job is serialised on a promise chain, so a timer, tick() and runNow() never
 * overlap within a process.
 *
 * A job never run before (no `last_scheduled_at`) runs its most recent due instant once, so a
 * fresh install creates today's partitions and rollups at first start; it does not backfill
 * older history (that is what a backfill command is for).
 */
import type { Logger } from 'pino'
import { SQL } from './job-sql.js'
import { parseSchedule, type Schedule } from './schedule.js'
import type {
  Clock, JobContext, JobDefinition, JobRecord, JobRunner, JobRunnerOptions, JobStatus, RunFinishedEvent, RunOutcome
} from './types.js'

export type {
  Clock, JobContext, JobDefinition, JobRecord, JobRunner, JobRunnerOptions, JobStatus, RunFinishedEvent, RunOutcome
}

const DEFAULTS = { leaseMs: 30_000, maxCatchUp: 1000, retryBaseMs: 1000, retryMaxMs: 300_000, abortGraceMs: 5000 }
const NUMERIC_OPTIONS = ['leaseMs', 'maxCatchUp', 'retryBaseMs', 'retryMaxMs', 'abortGraceMs'] as const
/** setTimeout's ceiling; a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** Retry a little after another owner's lease expires, so the retry does not land just before. */
const LEASE_SLACK_MS = 100
const MAX_ERROR_CHARS = 2000


interface JobState {
  def: JobDefinition
  schedule: Schedule
  log: Logger
  /** Work for this job, serialised; never rejects. */
  chain: Promise<void>
  timer: NodeJS.Timeout | undefined
  wakeAt: number | null
  consecutiveFailures: number
  current: AbortController | undefined
}

type Settings = Required<Omit<JobRunnerOptions, 'onRunFinished'>> & Pick<JobRunnerOptions, 'onRunFinished'>
interface RecordArgs { scheduledAt: Date; status: 'ok' | 'failed'; error: string | null; durationMs: number; advance: boolean }

export function createJobRunner(opts: JobRunnerOptions): JobRunner {
  return new Runner(settingsFrom(opts))
}

/** Fills defaults (an explicit undefined counts as unset) and rejects values that would misbehave later. */
function settingsFrom(opts: JobRunnerOptions): Settings {
  const s = { ...opts, clock: opts.clock ?? Date } as Settings
  for (const k of NUMERIC_OPTIONS) s[k] = opts[k] ?? DEFAULTS[k]
  const bad: string[] = NUMERIC_OPTIONS.filter((k) => !Number.isInteger(s[k]) || s[k] <= 0)
  if (s.owner === '') bad.push('owner')
  if (bad.length > 0) throw new TypeError(`job runner: invalid ${bad.join(', ')} (need positive integers and a non-empty owner)`)
  return s
}

class Runner implements JobRunner {
  private readonly jobs = new Map<string, JobState>()
  private started = false
  private stopped = false

  constructor(private readonly s: Settings) {}

  register(job: JobDefinition): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${JSON.stringify(job.name)} is already registered`)
    const st = newState(job, this.s)
    this.jobs.set(job.name, st)
    if (this.started && !this.stopped) void enqueue(st, () => this.ensureThenPump(st))
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('job runner already started')
    this.started = true
    for (const st of this.jobs.values()) await this.ensureRow(st)
    for (const st of this.jobs.values()) void enqueue(st, () => this.pumpSafe(st))
  }

  async tick(name?: string): Promise<void> {
    const states = name === undefined ? [...this.jobs.values()] : [this.get(name)]
    await Promise.all(states.map((st) => enqueue(st, () => this.pumpSafe(st))))
  }

  async runNow(name: string): Promise<RunOutcome> {
    const st = this.get(name)
    return enqueue(st, () => this.runManual(st))
  }

  async stop(): Promise<void> {
    this.stopped = true
    const states = [...this.jobs.values()]
    for (const st of states) this.arm(st, null)
    for (const st of states) st.current?.abort(new Error('job runner stopping'))
    await Promise.all(states.map((st) => st.chain))
    if (this.started) await this.releaseLeases()
  }

  async status(): Promise<JobStatus[]> {
    const states = [...this.jobs.values()]
    const res = await this.s.db.query<JobRecord>(SQL.status, [states.map((st) => st.def.name)])
    const rows = new Map(res.rows.map((r) => [r.name, r]))
    return states.map((st) => toStatus(st, rows.get(st.def.name))).sort(byName)
  }

  // ---------------------------------------------------------------- scheduling

  private get(name: string): JobState {
    const st = this.jobs.get(name)
    if (st === undefined) throw new Error(`no job named ${JSON.stringify(name)}`)
    return st
  }

  private nowDate(): Date {
    return new Date(this.s.clock.now())
  }

  private async ensureRow(st: JobState): Promise<void> {
    await this.s.db.query(SQL.ensure, [st.def.name, st.def.schedule])
  }

  /** Sets the job's one timer; `at` null leaves it unset. Long waits are re-armed when they fire. */
  private arm(st: JobState, at: number | null): void {
    clearTimeout(st.timer)
    st.timer = undefined
    st.wakeAt = this.stopped ? null : at
    if (st.wakeAt === null) return
    const delay = Math.min(Math.max(st.wakeAt - this.s.clock.now(), 0), MAX_TIMER_MS)
    st.timer = setTimeout(() => { void enqueue(st, () => this.pumpSafe(st)) }, delay)
    st.timer.unref()
  }

  private retryAt(st: JobState): number {
    const delay = this.s.retryBaseMs * 2 ** Math.max(0, st.consecutiveFailures - 1)
    return this.s.clock.now() + Math.min(delay, this.s.retryMaxMs)
  }

  private nextAt(st: JobState): number | null {
    return st.schedule.next(this.nowDate())?.getTime() ?? null
  }

  /** Instants to run now, oldest first; see the file comment for a job never run before. */
  private async dueInstants(st: JobState): Promise<Date[]> {
    const now = this.nowDate()
    const res = await this.s.db.query<{ last_scheduled_at: Date | null }>(SQL.last, [st.def.name])
    const last = res.rows[0]?.last_scheduled_at ?? null
    if (last === null || st.def.catchUp === 'latest') {
      const newest = st.schedule.previous(now)
      return newest !== null && (last === null || newest > last) ? [newest] : []
    }
    const { instants, skipped } = st.schedule.latestBetween(last, now, this.s.maxCatchUp)
    if (skipped > 0) {
      st.log.warn({ skipped, replaying: instants.length, lastScheduledAt: last },
        'catch-up capped by maxCatchUp: skipping the oldest missed runs')
    }
    return instants
  }

  /** Runs every due instant in order (more may fall due meanwhile), then sets the timer. */
  private async pump(st: JobState): Promise<void> {
    for (let due = await this.dueInstants(st); due.length > 0; due = await this.dueInstants(st)) {
      const wakeAt = await this.runInOrder(st, due)
      if (wakeAt !== undefined) return this.arm(st, wakeAt)
    }
    this.arm(st, this.nextAt(st))
  }

  /** undefined when all ran; otherwise when to look again (lease expiry, retry, next occurrence). */
  private async runInOrder(st: JobState, due: Date[]): Promise<number | null | undefined> {
    for (const scheduledAt of due) {
      if (this.stopped) return null
      const outcome = await this.runScheduled(st, scheduledAt)
      if (outcome.status === 'leased') return this.s.clock.now() + outcome.retryInMs
      // A failed 'all' instant stays due and is retried with backoff; 'latest' waits for the next one.
      if (outcome.status === 'failed') return st.def.catchUp === 'all' ? this.retryAt(st) : this.nextAt(st)
    }
    return undefined
  }

  /** pump() that never rejects: a database outage is logged and retried with backoff. */
  private async pumpSafe(st: JobState): Promise<void> {
    if (this.stopped) return
    try {
      await this.pump(st)
    } catch (err) {
      st.consecutiveFailures++
      st.log.error({ err }, 'job runner could not reach the jobs table; retrying')
      this.arm(st, this.retryAt(st))
    }
  }

  private async ensureThenPump(st: JobState): Promise<void> {
    try {
      await this.ensureRow(st)
    } catch (err) {
      st.log.error({ err }, 'could not create the job row; retrying')
    }
    await this.pumpSafe(st)
  }

  // ---------------------------------------------------------------- leases and runs

  private async claim(st: JobState, scheduledAt: Date | null): Promise<number | null> {
    const params = [st.def.name, this.s.owner, this.s.leaseMs, scheduledAt, this.nowDate()]
    const res = await this.s.db.query<{ lease_token: number }>(SQL.claim, params)
    return res.rows[0]?.lease_token ?? null
  }

  /** After a failed claim: was the instant done elsewhere, or is someone holding the lease? */
  private async explainMiss(st: JobState, scheduledAt: Date): Promise<RunOutcome> {
    const res = await this.s.db.query<{ last_scheduled_at: Date | null; lease_left_ms: number | null }>(SQL.peek, [st.def.name])
    const row = res.rows[0]
    if (row === undefined) throw new Error(`job ${st.def.name} has no row in jobs`)
    if (row.last_scheduled_at !== null && row.last_scheduled_at >= scheduledAt) return { status: 'done', scheduledAt }
    return { status: 'leased', scheduledAt, retryInMs: Math.max(0, row.lease_left_ms ?? 0) + LEASE_SLACK_MS }
  }

  private async runScheduled(st: JobState, scheduledAt: Date): Promise<RunOutcome> {
    const token = await this.claim(st, scheduledAt)
    if (token === null) return this.explainMiss(st, scheduledAt)
    return this.execute(st, scheduledAt, token, 'scheduled')
  }

  private async runManual(st: JobState): Promise<RunOutcome> {
    if (this.stopped) throw new Error('job runner is stopped')
    const scheduledAt = this.nowDate()
    const token = await this.claim(st, null)
    if (token === null) return this.explainMiss(st, scheduledAt)
    return this.execute(st, scheduledAt, token, 'manual')
  }

  /** Runs the job under lease `token`, then records the result if the token still holds. */
  private async execute(st: JobState, scheduledAt: Date, token: number, kind: 'scheduled' | 'manual'): Promise<RunOutcome> {
    const started = this.s.clock.now()
    const log = st.log.child({ scheduledAt: scheduledAt.toISOString(), kind })
    const error = await this.guardedRun(st, scheduledAt, token, log)
    const durationMs = this.s.clock.now() - started
    const status: FinishedOutcome['status'] = error === null ? 'ok' : 'failed'
    // Manual runs are outside the schedule; a failed 'all' instant stays due for its retry.
    const advance = kind === 'scheduled' && (status === 'ok' || st.def.catchUp === 'latest')
    const recorded = await this.record(st, token, { scheduledAt, status, error, durationMs, advance })
    const outcome: FinishedOutcome = recorded ? { status, scheduledAt, durationMs, error } : lostLease(log, scheduledAt, durationMs)
    this.report(st, outcome, log)
    return outcome
  }

  /** Calls run() with timeout, lease renewal and abort wiring; resolves with the failure text or null. */
  private async guardedRun(st: JobState, scheduledAt: Date, token: number, log: Logger): Promise<string | null> {
    const controller = new AbortController()
    st.current = controller
    if (this.stopped) controller.abort(new Error('job runner stopping'))
    const renewal = this.startRenewal(st, token, controller)
    const timeout = startTimeout(st.def.timeoutMs, controller)
    try {
      const work = Promise.resolve().then(() => st.def.run({ scheduledAt, signal: controller.signal, log }))
      await settle(work, controller.signal, this.s.abortGraceMs)
      return timeout.fired ? timeout.message : null
    } catch (err) {
      return timeout.fired ? timeout.message : errorText(err)
    } finally {
      clearInterval(renewal)
      clearTimeout(timeout.timer)
      st.current = undefined
    }
  }

  private startRenewal(st: JobState, token: number, controller: AbortController): NodeJS.Timeout {
    const renew = async (): Promise<void> => {
      try {
        const res = await this.s.db.query(SQL.renew, [st.def.name, this.s.owner, token, this.s.leaseMs])
        if (res.rowCount === 0) controller.abort(new Error('lease lost'))
      } catch (err) {
        // Two thirds of the lease are left; the next renewal tries again.
        st.log.warn({ err }, 'lease renewal failed')
      }
    }
    const timer = setInterval(() => { void renew() }, Math.max(1, Math.floor(this.s.leaseMs / 3)))
    timer.unref()
    return timer
  }

  private async record(st: JobState, token: number, r: RecordArgs): Promise<boolean> {
    const params = [st.def.name, this.s.owner, token, r.advance, r.scheduledAt, this.nowDate(),
      r.status, r.error, Math.round(r.durationMs)]
    const res = await this.s.db.query(SQL.finish, params)
    return res.rowCount > 0
  }

  private report(st: JobState, outcome: FinishedOutcome, log: Logger): void {
    const { status, durationMs, scheduledAt } = outcome
    st.consecutiveFailures = status === 'failed' ? st.consecutiveFailures + 1 : 0
    if (status === 'ok') log.info({ durationMs }, 'job finished')
    else log.error({ durationMs, error: outcome.error, consecutiveFailures: st.consecutiveFailures }, 'job failed')
    try {
      this.s.onRunFinished?.({ name: st.def.name, status, durationMs, scheduledAt })
    } catch (err) {
      log.warn({ err }, 'onRunFinished hook threw')
    }
  }

  private async releaseLeases(): Promise<void> {
    try {
      await this.s.db.query(SQL.releaseAll, [this.s.owner])
    } catch (err) {
      this.s.log.warn({ err }, 'could not release job leases; they expire on their own')
    }
  }
}

type FinishedOutcome = Extract<RunOutcome, { durationMs: number }>

function newState(def: JobDefinition, s: Settings): JobState {
  return {
    def,
    schedule: parseSchedule(def.schedule, s.timeZone),
    log: s.log.child({ job: def.name }),
    chain: Promise.resolve(),
    timer: undefined,
    wakeAt: null,
    consecutiveFailures: 0,
    current: undefined
  }
}

/** Appends `work` to the job's chain; the chain itself swallows the result so it never rejects. */
function enqueue<T>(st: JobState, work: () => Promise<T>): Promise<T> {
  const result = st.chain.then(work)
  st.chain = result.then(() => undefined, () => undefined)
  return result
}

const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_CHARS)

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

function lostLease(log: Logger, scheduledAt: Date, durationMs: number): FinishedOutcome {
  log.warn('lease lost before the result was recorded; the run counts as failed')
  return { status: 'failed', scheduledAt, durationMs, error: 'lease lost' }
}

function startTimeout(timeoutMs: number | undefined, controller: AbortController) {
  const t = { fired: false, message: `timed out after ${timeoutMs} ms`, timer: undefined as NodeJS.Timeout | undefined }
  if (timeoutMs === undefined) return t
  t.timer = setTimeout(() => { t.fired = true; controller.abort(new Error(t.message)) }, timeoutMs)
  t.timer.unref()
  return t
}

/**
 * Settles like `work`, except that once `signal` aborts, `work` gets `graceMs` to settle and is
 * then abandoned (a job ignoring its signal must not hold up stop() or the schedule forever).
 */
function settle<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined
    const onAbort = (): void => {
      const reason = errorText(signal.reason)
      grace = setTimeout(() => reject(new Error(`${reason}; abandoned after ${graceMs} ms grace`)), graceMs)
      grace.unref()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    void work.then(resolve, reject).finally(() => {
      clearTimeout(grace)
      signal.removeEventListener('abort', onAbort)
    })
  })
}

function toStatus(st: JobState, row: JobRecord | undefined): JobStatus {
  const base = row ?? {
    name: st.def.name, schedule: st.def.schedule, lastScheduledAt: null, lastStartedAt: null, lastFinishedAt: null,
    lastStatus: null, lastError: null, lastDurationMs: null, runsTotal: 0, failuresTotal: 0, leaseOwner: null, leaseUntil: null
  }
  const nextCheckAt = st.wakeAt === null ? null : new Date(st.wakeAt)
  return { ...base, catchUp: st.def.catchUp, running: st.current !== undefined, nextCheckAt }
}
