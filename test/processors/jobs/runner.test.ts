/**
 * Contract suite for the job runner, run against PGlite and PostgreSQL (STYLE §5). Time is a
 * fake clock the tests move by hand; `tick()` stands in for the timers, except in the one test
 * that proves the timers fire on a real every-second schedule.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { openPglite } from '../../../processors/db/pglite.js'
import { openPostgres } from '../../../processors/db/postgres.js'
import {
  createJobRunner, type JobContext, type JobDefinition, type JobRunner, type JobRunnerOptions, type RunFinishedEvent
} from '../../../processors/jobs/runner.js'
import { DAILY_0200, HOURLY_AT_05 } from '../../../processors/jobs/schedule.js'
import { jobsMigration } from '../../../processors/store/migrations/0002-jobs.js'
import { createDatabase } from '../../support/services.js'

/** `db` for the runner under test; `peer` for a second runner (another pool, as another process would have). */
interface Backend { db: Db; peer: Db; close(): Promise<void> }

interface JobsRow {
  name: string
  schedule: string
  last_scheduled_at: Date | null
  last_started_at: Date | null
  last_finished_at: Date | null
  last_status: string | null
  last_error: string | null
  last_duration_ms: number | null
  runs_total: number
  failures_total: number
  lease_owner: string | null
  lease_token: number
  lease_until: Date | null
}

type LogLine = Record<string, unknown> & { level: number; msg: string }

const HOUR = 3_600_000
const T0 = Date.parse('2024-05-10T02:30:00Z') // 10:30 in Asia/Shanghai
const iso = (ms: number): string => new Date(ms).toISOString()

/** A never-run row: what INSERT ... (name, schedule) leaves. */
function jobsRow(over: Partial<JobsRow> & Pick<JobsRow, 'name' | 'schedule'>): JobsRow {
  return {
    last_scheduled_at: null, last_started_at: null, last_finished_at: null, last_status: null, last_error: null,
    last_duration_ms: null, runs_total: 0, failures_total: 0, lease_owner: null, lease_token: 0, lease_until: null,
    ...over
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

function runnerContract(name: string, open: () => Promise<Backend>): void {
  describe(`job runner on ${name}`, () => {
    let backend: Backend
    let db: Db
    let clock: { t: number; now(): number }
    const runners: JobRunner[] = []

    beforeAll(async () => {
      backend = await open()
      db = backend.db
      await db.exec(jobsMigration.sql)
      await db.exec(`CREATE TABLE job_effects (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job text NOT NULL,
        scheduled_at timestamptz NOT NULL, owner text NOT NULL)`)
    })
    afterAll(async () => { await backend.close() })
    beforeEach(async () => {
      clock = { t: T0, now() { return this.t } }
      await db.exec('TRUNCATE jobs, job_effects')
    })
    afterEach(async () => { await Promise.all(runners.splice(0).map((r) => r.stop())) })

    function makeRunner(over: Partial<JobRunnerOptions> = {}): { runner: JobRunner; logs: LogLine[]; events: RunFinishedEvent[] } {
      const logs: LogLine[] = []
      const events: RunFinishedEvent[] = []
      const log = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as LogLine) } })
      const runner = createJobRunner({
        db, log, clock, timeZone: 'Asia/Shanghai', owner: `runner-${runners.length}`,
        leaseMs: 10_000, retryBaseMs: 60_000, onRunFinished: (e) => events.push(e), ...over
      })
      runners.push(runner)
      return { runner, logs, events }
    }

    /** A job that records the instants it ran for, oldest first. */
    function recorder(over: Partial<JobDefinition> = {}): JobDefinition & { ran: string[] } {
      const ran: string[] = []
      const run = async ({ scheduledAt }: JobContext): Promise<void> => { ran.push(scheduledAt.toISOString()) }
      return { name: 'hourly', schedule: HOURLY_AT_05, catchUp: 'all', run, ran, ...over }
    }

    async function row(job: string): Promise<JobsRow | undefined> {
      return (await db.query<JobsRow>('SELECT * FROM jobs WHERE name = $1', [job])).rows[0]
    }

    async function seed(job: string, schedule: string, lastScheduledAt: string): Promise<void> {
      await db.query('INSERT INTO jobs (name, schedule, last_scheduled_at) VALUES ($1, $2, $3)', [job, schedule, new Date(lastScheduledAt)])
    }

    async function nextCheck(runner: JobRunner, job: string): Promise<number | undefined> {
      return (await runner.status()).find((s) => s.name === job)?.nextCheckAt?.getTime()
    }

    it('a job never run before runs its most recent due instant once, then waits for the next', async () => {
      const job = recorder({ name: 'daily', schedule: DAILY_0200 })
      const { runner } = makeRunner()
      runner.register(job)
      await runner.start()
      await runner.tick()
      await runner.tick()
      expect(job.ran).toEqual(['2024-05-09T18:00:00.000Z'])
      expect(await row('daily')).toEqual(jobsRow({
        name: 'daily', schedule: DAILY_0200, last_scheduled_at: new Date('2024-05-09T18:00:00Z'),
        last_started_at: new Date(T0), last_finished_at: new Date(T0), last_status: 'ok',
        last_duration_ms: 0, runs_total: 1, lease_token: 1
      }))
      expect(await nextCheck(runner, 'daily')).toBe(Date.parse('2024-05-10T18:00:00Z'))
    })

    it("catchUp 'all': a new runner on the same database replays every missed instant once, in order", async () => {
      const first = recorder()
      const a = makeRunner({ owner: 'before-downtime' })
      a.runner.register(first)
      await a.runner.start()
      await a.runner.tick()
      await a.runner.stop()
      clock.t = T0 + 5 * HOUR // five hours of downtime
      const second = recorder()
      const b = makeRunner({ owner: 'after-downtime' })
      b.runner.register(second)
      await b.runner.start()
      await b.runner.tick()
      const missed = ['03:05', '04:05', '05:05', '06:05', '07:05'].map((t) => `2024-05-10T${t}:00.000Z`)
      expect({ before: first.ran, after: second.ran }).toEqual({ before: ['2024-05-10T02:05:00.000Z'], after: missed })
      expect(b.events).toEqual(missed.map((at) => ({ name: 'hourly', status: 'ok', durationMs: 0, scheduledAt: new Date(at) })))
      expect(await row('hourly')).toEqual(jobsRow({
        name: 'hourly', schedule: HOURLY_AT_05, last_scheduled_at: new Date(missed[4] ?? ''),
        last_started_at: new Date(clock.t), last_finished_at: new Date(clock.t), last_status: 'ok',
        last_duration_ms: 0, runs_total: 6, lease_token: 6
      }))
    })

    it("catchUp 'latest': only the newest missed instant runs", async () => {
      await seed('hourly', HOURLY_AT_05, '2024-05-10T02:05:00Z')
      clock.t = T0 + 5 * HOUR
      const job = recorder({ catchUp: 'latest' })
      const { runner } = makeRunner()
      runner.register(job)
      await runner.start()
      await runner.tick()
      expect(job.ran).toEqual(['2024-05-10T07:05:00.000Z'])
      expect(await row('hourly')).toMatchObject({ last_scheduled_at: new Date('2024-05-10T07:05:00Z'), runs_total: 1 })
    })

    it('maxCatchUp replays only the newest instants and warns how many were skipped', async () => {
      await seed('hourly', HOURLY_AT_05, '2024-05-10T02:05:00Z')
      clock.t = T0 + 5 * HOUR
      const job = recorder()
      const { runner, logs } = makeRunner({ maxCatchUp: 2 })
      runner.register(job)
      await runner.start()
      await runner.tick()
      expect(job.ran).toEqual(['2024-05-10T06:05:00.000Z', '2024-05-10T07:05:00.000Z'])
      const warnings = logs.filter((l) => l.level === 40).map(({ job: j, skipped, replaying, msg }) => ({ job: j, skipped, replaying, msg }))
      expect(warnings).toEqual([{
        job: 'hourly', skipped: 3, replaying: 2, msg: 'catch-up capped by maxCatchUp: skipping the oldest missed runs'
      }])
    })

    it('two runners on one database run each instant exactly once', async () => {
      await seed('shared', HOURLY_AT_05, '2024-05-10T02:05:00Z')
      const sharedJob = (runnerDb: Db, owner: string): JobDefinition => ({
        name: 'shared', schedule: HOURLY_AT_05, catchUp: 'all',
        async run({ scheduledAt }) {
          await runnerDb.query('INSERT INTO job_effects (job, scheduled_at, owner) VALUES ($1, $2, $3)', ['shared', scheduledAt, owner])
          await sleep(10) // long enough for the other runner to find the lease taken
        }
      })
      const a = makeRunner({ owner: 'a', leaseMs: 300 })
      const b = makeRunner({ owner: 'b', leaseMs: 300, db: backend.peer })
      a.runner.register(sharedJob(db, 'a'))
      b.runner.register(sharedJob(backend.peer, 'b'))
      await Promise.all([a.runner.start(), b.runner.start()])
      for (let round = 1; round <= 6; round++) {
        clock.t = T0 + round * 2 * HOUR // two new instants per round
        await Promise.all([a.runner.tick(), b.runner.tick()])
      }
      const last = new Date('2024-05-10T14:05:00Z')
      await waitFor('the last instant', async () => (await row('shared'))?.last_scheduled_at?.getTime() === last.getTime())
      const effects = await db.query<{ at: Date; runs: number }>(
        'SELECT scheduled_at AS at, count(*)::int AS runs FROM job_effects GROUP BY scheduled_at ORDER BY scheduled_at')
      const expected = Array.from({ length: 12 }, (_, i) => ({ at: new Date(Date.parse('2024-05-10T03:05:00Z') + i * HOUR), runs: 1 }))
      expect(effects.rows).toEqual(expected)
      expect(await row('shared')).toMatchObject({ runs_total: 12, failures_total: 0, lease_owner: null, lease_until: null })
    })

    it("a failing 'all' job is recorded, keeps its instant, and is retried with capped backoff before later instants", async () => {
      await seed('hourly', HOURLY_AT_05, '2024-05-10T02:05:00Z')
      clock.t = T0 + 2 * HOUR // 03:05 and 04:05 are due
      let attempts = 0
      const { runner, events } = makeRunner({ retryMaxMs: 200_000 })
      runner.register({
        name: 'hourly', schedule: HOURLY_AT_05, catchUp: 'all',
        async run() { if (++attempts <= 3) throw new Error(`boom ${attempts}`) }
      })
      await runner.start() // attempt 1 (start's own pass), then 60 s backoff
      await runner.tick() // attempt 2, then 120 s
      const afterTwo = { row: await row('hourly'), retryIn: ((await nextCheck(runner, 'hourly')) ?? 0) - clock.t }
      await runner.tick() // attempt 3, then 200 s (capped)
      const retryIn = ((await nextCheck(runner, 'hourly')) ?? 0) - clock.t
      await runner.tick() // succeeds, then 04:05 runs
      expect(afterTwo).toEqual({
        row: jobsRow({
          name: 'hourly', schedule: HOURLY_AT_05, last_scheduled_at: new Date('2024-05-10T02:05:00Z'),
          last_started_at: new Date(clock.t), last_finished_at: new Date(clock.t), last_status: 'failed',
          last_error: 'boom 2', last_duration_ms: 0, runs_total: 2, failures_total: 2, lease_token: 2
        }),
        retryIn: 120_000
      })
      expect(retryIn).toBe(200_000)
      const at = (t: string): Date => new Date(`2024-05-10T${t}:00Z`)
      expect(events.map((e) => [e.status, e.scheduledAt])).toEqual([
        ['failed', at('03:05')], ['failed', at('03:05')], ['failed', at('03:05')], ['ok', at('03:05')], ['ok', at('04:05')]
      ])
      expect(await row('hourly')).toMatchObject({
        last_scheduled_at: at('04:05'), last_status: 'ok', last_error: null, runs_total: 5, failures_total: 3
      })
      expect(await nextCheck(runner, 'hourly')).toBe(at('05:05').getTime())
    })

    it("a failing 'latest' job is recorded and moves on to the next instant", async () => {
      const { runner, events } = makeRunner()
      runner.register({ name: 'hourly', schedule: HOURLY_AT_05, catchUp: 'latest', run: () => Promise.reject(new Error('nope')) })
      await runner.start()
      await runner.tick()
      await runner.tick()
      expect(events).toEqual([{ name: 'hourly', status: 'failed', durationMs: 0, scheduledAt: new Date('2024-05-10T02:05:00Z') }])
      expect(await row('hourly')).toMatchObject({
        last_scheduled_at: new Date('2024-05-10T02:05:00Z'), last_status: 'failed', last_error: 'nope', failures_total: 1
      })
      expect(await nextCheck(runner, 'hourly')).toBe(Date.parse('2024-05-10T03:05:00Z'))
    })

    it('a hung job has its signal aborted at timeoutMs, is abandoned after the grace and counts as failed', async () => {
      let abortReason: unknown
      const { runner } = makeRunner({ abortGraceMs: 50 })
      runner.register({
        name: 'hung', schedule: DAILY_0200, catchUp: 'latest', timeoutMs: 50,
        run: ({ signal }) => {
          signal.addEventListener('abort', () => { abortReason = signal.reason })
          return new Promise<void>(() => {}) // never settles, ignores its signal
        }
      })
      await runner.start()
      await runner.tick()
      expect(String(abortReason)).toBe('Error: timed out after 50 ms')
      expect(await row('hung')).toEqual(jobsRow({
        name: 'hung', schedule: DAILY_0200, last_scheduled_at: new Date('2024-05-09T18:00:00Z'),
        last_started_at: new Date(T0), last_finished_at: new Date(T0),
        last_status: 'failed', last_error: 'timed out after 50 ms', last_duration_ms: 0,
        runs_total: 1, failures_total: 1, lease_token: 1
      }))
    })

    it('stop() aborts a running job, waits for it to finish, then releases the lease', async () => {
      let started!: () => void
      const running = new Promise<void>((resolve) => { started = resolve })
      let sawAbort = false
      const { runner } = makeRunner()
      runner.register({
        name: 'slow', schedule: DAILY_0200, catchUp: 'all',
        async run({ signal, scheduledAt }) {
          started()
          await sleep(150) // finishing its write matters more to this job than stopping fast
          sawAbort = signal.aborted
          await db.query('INSERT INTO job_effects (job, scheduled_at, owner) VALUES ($1, $2, $3)', ['slow', scheduledAt, 'x'])
        }
      })
      await runner.start()
      const ticking = runner.tick()
      await running
      expect((await runner.status())[0]?.running).toBe(true)
      await runner.stop()
      const effects = await db.query('SELECT job FROM job_effects')
      expect({ sawAbort, effects: effects.rows, row: await row('slow') }).toEqual({
        sawAbort: true,
        effects: [{ job: 'slow' }],
        row: jobsRow({
          name: 'slow', schedule: DAILY_0200, last_scheduled_at: new Date('2024-05-09T18:00:00Z'),
          last_started_at: new Date(T0), last_finished_at: new Date(T0), last_status: 'ok',
          last_duration_ms: 0, runs_total: 1, lease_token: 1
        })
      })
      await ticking
    })

    it('stop() abandons a job that ignores its signal past abortGraceMs and releases its lease', async () => {
      let started!: () => void
      const running = new Promise<void>((resolve) => { started = resolve })
      const { runner } = makeRunner({ abortGraceMs: 50 })
      runner.register({
        name: 'stuck', schedule: DAILY_0200, catchUp: 'all',
        run: () => { started(); return new Promise<void>(() => {}) }
      })
      await runner.start()
      const ticking = runner.tick()
      await running
      await runner.stop()
      await ticking
      expect(await row('stuck')).toMatchObject({
        last_scheduled_at: null, last_status: 'failed', last_error: 'job runner stopping; abandoned after 50 ms grace',
        lease_owner: null, lease_until: null
      })
    })

    it('a live lease held elsewhere defers the run until it expires (on the database clock)', async () => {
      await seed('hourly', HOURLY_AT_05, '2024-05-10T01:05:00Z')
      await db.query("UPDATE jobs SET lease_owner = 'elsewhere', lease_token = 7, lease_until = now() + interval '1 hour'")
      const job = recorder()
      const { runner } = makeRunner()
      runner.register(job)
      await runner.start()
      await runner.tick()
      const retryIn = ((await nextCheck(runner, 'hourly')) ?? 0) - clock.t
      await db.query("UPDATE jobs SET lease_until = now() - interval '1 second'") // the other replica died
      await runner.tick()
      expect({ ranWhileLeased: retryIn > HOUR - 60_000 && retryIn <= HOUR + 100, ran: job.ran })
        .toEqual({ ranWhileLeased: true, ran: ['2024-05-10T02:05:00.000Z'] })
      expect(await row('hourly')).toMatchObject({ lease_token: 8, lease_owner: null, runs_total: 1 })
    })

    it('a run whose lease was taken over cannot record its result (fencing token), and sees its signal aborted', async () => {
      let abortReason: unknown
      const { runner, events } = makeRunner({ leaseMs: 150 })
      runner.register({
        name: 'fenced', schedule: DAILY_0200, catchUp: 'latest',
        async run({ signal }) {
          await db.query("UPDATE jobs SET lease_owner = 'thief', lease_token = lease_token + 1, lease_until = now() + interval '1 hour'")
          await waitFor('the renewal to notice', async () => signal.aborted, 2000)
          abortReason = signal.reason
        }
      })
      await runner.start()
      await runner.tick()
      expect({ abortReason: String(abortReason), events }).toEqual({
        abortReason: 'Error: lease lost',
        events: [{ name: 'fenced', status: 'failed', durationMs: 0, scheduledAt: new Date('2024-05-09T18:00:00Z') }]
      })
      expect(await row('fenced')).toMatchObject({ last_status: null, runs_total: 0, lease_owner: 'thief', lease_token: 2 })
    })

    it('runNow runs out of schedule under the lease without moving last_scheduled_at', async () => {
      await seed('hourly', HOURLY_AT_05, '2024-05-10T02:05:00Z')
      const job = recorder()
      const { runner } = makeRunner()
      runner.register(job)
      await runner.start()
      await runner.tick()
      const outcome = await runner.runNow('hourly')
      expect({ outcome, ran: job.ran }).toEqual({
        outcome: { status: 'ok', scheduledAt: new Date(T0), durationMs: 0, error: null },
        ran: [iso(T0)]
      })
      expect(await row('hourly')).toMatchObject({ last_scheduled_at: new Date('2024-05-10T02:05:00Z'), runs_total: 1 })
    })

    it('timers run an every-second schedule on the real clock, each second once and in order', async () => {
      const job = recorder({ name: 'secondly', schedule: 'FREQ=SECONDLY;INTERVAL=1' })
      const { runner } = makeRunner({ clock: Date })
      runner.register(job)
      await runner.start()
      await waitFor('three runs', async () => job.ran.length >= 3)
      await runner.stop()
      const times = job.ran.map((at) => Date.parse(at))
      expect({
        wholeSeconds: times.every((t) => t % 1000 === 0),
        steps: times.slice(1).map((t, i) => t - (times[i] ?? 0))
      }).toEqual({ wholeSeconds: true, steps: times.slice(1).map(() => 1000) })
    })

    it('register refuses duplicates and invalid schedules; runNow refuses unknown jobs', async () => {
      const { runner } = makeRunner()
      runner.register(recorder())
      expect(() => runner.register(recorder())).toThrow('job "hourly" is already registered')
      expect(() => runner.register(recorder({ name: 'bad', schedule: 'FREQ=DAILY;COUNT=2' }))).toThrow(/COUNT not supported/)
      await expect(runner.runNow('nope')).rejects.toThrow('no job named "nope"')
    })
  })
}

runnerContract('PGlite', async () => {
  const db = await openPglite()
  return { db, peer: db, close: () => db.close() }
})

runnerContract('PostgreSQL', async () => {
  const url = await createDatabase(inject('pgUrl'), `jobs_${randomUUID().replaceAll('-', '')}`)
  const db = await openPostgres({ url, poolSize: 4 })
  const peer = await openPostgres({ url, poolSize: 4 })
  return { db, peer, close: async () => { await Promise.all([db.close(), peer.close()]) } }
})
