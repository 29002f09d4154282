/** The job runner's public types (runner.ts implements them). */
import type { Logger } from 'pino'
import type { Db } from '../db/db.js'

export interface Clock { now(): number }

export interface JobContext {
  /** The schedule instant this run is for; for runNow(), the moment it was asked for. */
  scheduledAt: Date
  /** Aborted on timeout, when the lease is lost, and at stop(); long work should honour it. */
  signal: AbortSignal
  log: Logger
}

export interface JobDefinition {
  /** Unique; the key of the job's row in `jobs`. */
  name: string
  /** RRULE in wall-clock time of the runner's zone, e.g. DAILY_0200 from schedule.ts. */
  schedule: string
  /** After downtime: 'all' runs every missed instant in order, 'latest' only the newest. */
  catchUp: 'all' | 'latest'
  /** Abort the run and count it failed after this long; default: no limit. */
  timeoutMs?: number
  run(ctx: JobContext): Promise<void>
}

export interface RunFinishedEvent { name: string; status: 'ok' | 'failed'; durationMs: number; scheduledAt: Date }

export interface JobRunnerOptions {
  db: Db
  log: Logger
  /** IANA zone the schedules' wall-clock times are read in (SPEC §8: Asia/Shanghai by default). */
  timeZone: string
  /** Unique per process (e.g. hostname:pid:random); written into leases. */
  owner: string
  /** Decides which instants are due and stamps started/finished times; default Date. */
  clock?: Clock
  /** Lease length; renewed every leaseMs/3 while a run lasts. Default 30 s. */
  leaseMs?: number
  /** Most missed instants a catchUp 'all' job replays; older ones are skipped with a warning. Default 1000. */
  maxCatchUp?: number
  /** First retry delay after a failure; doubles per consecutive failure up to retryMaxMs. Default 1 s. */
  retryBaseMs?: number
  /** Longest retry delay. Default 5 min. */
  retryMaxMs?: number
  /** How long an aborted run may take to settle before it is abandoned. Default 5 s. */
  abortGraceMs?: number
  /** Called after every run that held the lease, e.g. to feed job metrics. */
  onRunFinished?: (e: RunFinishedEvent) => void
}

/** What happened to one attempt: ran, found already done elsewhere, or found another owner's live lease. */
export type RunOutcome =
  | { status: 'ok' | 'failed'; scheduledAt: Date; durationMs: number; error: string | null }
  | { status: 'done'; scheduledAt: Date }
  | { status: 'leased'; scheduledAt: Date; retryInMs: number }

/** A job's row in `jobs`, as status() reports it. */
export interface JobRecord {
  name: string
  schedule: string
  lastScheduledAt: Date | null
  lastStartedAt: Date | null
  lastFinishedAt: Date | null
  lastStatus: 'ok' | 'failed' | null
  lastError: string | null
  lastDurationMs: number | null
  runsTotal: number
  failuresTotal: number
  leaseOwner: string | null
  leaseUntil: Date | null
}

export interface JobStatus extends JobRecord {
  catchUp: 'all' | 'latest'
  /** A run of this job is in progress in this process. */
  running: boolean
  /** When this process's timer will next look at the job (clock time); null when none is set. */
  nextCheckAt: Date | null
}

export interface JobRunner {
  /** Adds a job; throws on a duplicate name or an invalid schedule. */
  register(job: JobDefinition): void
  /** Creates missing job rows and starts catch-up and timers; resolves before catch-up finishes. */
  start(): Promise<void>
  /** Runs whatever is due now for one job or all, ignoring any retry backoff; resolves when done (tests, admin). */
  tick(name?: string): Promise<void>
  /** Runs a job now, outside its schedule, under its lease; does not move last_scheduled_at. */
  runNow(name: string): Promise<RunOutcome>
  /** Clears timers, aborts running jobs, waits for them (bounded by abortGraceMs), releases leases. */
  stop(): Promise<void>
  status(): Promise<JobStatus[]>
}
