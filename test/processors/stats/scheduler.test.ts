/**
 * The statistics schedule on the job runner, with a fake clock: the daily job computes
 * yesterday at 02:00, and a runner that starts after three days of downtime replays every
 * missed day in order, so the figures equal what really happened (the independent model).
 */
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createJobRunner, type JobRunner } from '../../../processors/jobs/runner.js'
import { createPartitions } from '../../../processors/maintenance/partitions-job.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { loadCatalog } from '../../../processors/stats/catalog.js'
import { statsJobs } from '../../../processors/stats/jobs.js'
import type { StatsDeps } from '../../../processors/stats/rollup.js'
import { createEventStore } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { ensurePartitions } from '../../../processors/store/partitions.js'
import { freshPostgres } from '../../support/backends.js'
import { canonical } from '../../support/events.js'
import { StatsReference } from '../../support/stats-reference.js'

const TZ = 'Asia/Shanghai'
const sh = (day: string, time: string): number => Date.parse(`${day}T${time}+08:00`)
const DAYS = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']

describe('statistics schedule', () => {
  let db: Db
  let deps: StatsDeps
  const clock = { t: 0, now() { return this.t } }
  const runners: JobRunner[] = []
  const events: CanonicalEvent[] = []

  const runner = (owner: string): JobRunner => {
    const r = createJobRunner({ db, log: pino({ level: 'silent' }), clock, timeZone: TZ, owner, leaseMs: 60_000 })
    for (const job of statsJobs(deps, () => clock.t)) r.register(job)
    runners.push(r)
    return r
  }
  const figure = async (metric: string, day: string): Promise<number | undefined> => {
    const res = await db.query<{ value: string }>("SELECT value::text AS value FROM stats_daily WHERE metric = $1 AND period = 'day' AND period_start = $2::date AND dims = '{}'", [metric, day])
    return res.rows[0] === undefined ? undefined : Number(res.rows[0].value)
  }

  beforeEach(async () => {
    db = await freshPostgres()
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
    await ensurePartitions(db, 'events', Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 7))
    deps = { db, catalog: loadCatalog(), timeZone: TZ }
    let n = 0
    for (const day of DAYS) {
      for (let i = 0; i < 5 + DAYS.indexOf(day); i++) {
        events.push(canonical({ eventId: `pv${n++}`, eventName: 'page_view', occurredAt: sh(day, `1${i}:00:00`), eventTime: sh(day, `1${i}:00:00`), userId: `u${i % 3}`, sessionId: `s${n}` }))
      }
      events.push(canonical({ eventId: `rn${n++}`, eventName: 'real_name_verified', occurredAt: sh(day, '09:00:00'), eventTime: sh(day, '09:00:00'), userId: `v${DAYS.indexOf(day) % 2}`, properties: {} }))
      events.push(canonical({ eventId: `md${n++}`, eventName: 'member_deduction', occurredAt: sh(day, '08:00:00'), eventTime: sh(day, '08:00:00'), properties: { amount: 100 * (1 + DAYS.indexOf(day)) } }))
    }
    await createEventStore(db).write({ events, heartbeats: [], quarantine: [] })
  })
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()))
    events.length = 0
    await db.close()
  })

  it('computes yesterday at 02:00, and after downtime replays every missed day in order', async () => {
    const ref = new StatsReference(events.map((e) => ({ id: e.eventId, name: e.eventName, at: e.occurredAt, user: e.userId, session: e.sessionId, channel: e.channel, deviceType: e.deviceType, props: e.properties })), TZ)
    clock.t = sh('2026-11-03', '02:30:00')
    const a = runner('before-downtime')
    await a.start()
    await a.tick()
    expect(await figure('pv', '2026-11-02')).toBe(ref.figure('pv', ['2026-11-02']))
    // Today so far, from the hourly job (the events of the whole day are already stored here).
    expect(await figure('pv', '2026-11-03')).toBe(ref.figure('pv', ['2026-11-03']))
    expect(await figure('pv', '2026-11-04')).toBeUndefined()
    await a.stop()

    // Three days later a new runner catches up: the daily runs of 11-04, 11-05 and 11-06 02:00.
    clock.t = sh('2026-11-06', '02:30:00')
    const b = runner('after-downtime')
    await b.start()
    await b.tick()
    const jobs = await db.query<{ name: string; last_scheduled_at: Date }>("SELECT name, last_scheduled_at FROM jobs WHERE name = 'stats.daily'")
    expect(jobs.rows[0]?.last_scheduled_at.toISOString()).toBe(new Date(sh('2026-11-06', '02:00:00')).toISOString())
    for (const day of DAYS) {
      expect({ day, pv: await figure('pv', day), uv: await figure('uv', day), real_name: await figure('real_name', day), history: await figure('member_deduction_history', day) })
        .toEqual({ day, pv: ref.figure('pv', [day]), uv: ref.figure('uv', [day]), real_name: ref.figure('real_name', [day]), history: ref.cumulative('member_deduction_history', day) })
    }
  }, 120_000)
})
