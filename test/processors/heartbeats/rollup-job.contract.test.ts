/**
 * Contract suite for the heartbeat minute rollup and its retention, run against PGlite and
 * PostgreSQL (STYLE §5). Raw rows go in through the event store, as the intake writes them.
 */
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createDeviceRegistry } from '../../../processors/devices/registry.js'
import { heartbeatRollupJob, rollupHeartbeats } from '../../../processors/heartbeats/rollup-job.js'
import { createJobRunner, type JobRunner } from '../../../processors/jobs/runner.js'
import { applyRetention, createPartitions } from '../../../processors/maintenance/partitions-job.js'
import type { HeartbeatRow } from '../../../processors/pipeline/event.js'
import { createEventStore, type EventStore } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const SECOND = 1000
const MINUTE = 60_000
const DAY = 86_400_000
/** A minute boundary an hour ago: inside every retention, and never in the future. */
const M = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE
const silent = pino({ level: 'silent' })

/** A raw heartbeat of `deviceId` received at `at`, with no readings unless given. */
function hb(deviceId: string, at: number, over: Partial<HeartbeatRow> = {}): HeartbeatRow {
  return {
    deviceId, receivedAt: at, deviceTime: null, storeId: null, tableId: null, online: 1,
    latencyMs: null, batteryLevel: null, signalStrength: null, source: 'mqtt', ...over
  }
}

/** A whole `heartbeat_minute` row as both drivers return it, with no readings unless given. */
function minuteRow(deviceId: string, minute: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    device_id: deviceId, minute: new Date(minute), store_id: null, count: 1, latency_min: null, latency_avg: null,
    latency_max: null, battery_last: null, signal_last: null, ...over
  }
}

describe.each(backends)('heartbeat minute rollup on %s', (_name, open) => {
  let db: Db
  let store: EventStore
  const runners: JobRunner[] = []

  beforeEach(async () => {
    db = await open()
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
    store = createEventStore(db)
  })
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()))
    await db.close()
  })

  const insert = (...heartbeats: HeartbeatRow[]) => store.write({ events: [], heartbeats, quarantine: [] })
  const minutes = async () => (await db.query('SELECT * FROM heartbeat_minute ORDER BY device_id, minute')).rows
  const minutesOf = async (deviceId: string) => (await db.query<{ minute: Date; count: number }>(
    'SELECT minute, count FROM heartbeat_minute WHERE device_id = $1 ORDER BY minute', [deviceId])).rows
  /** Runs the job's own definition for one schedule instant, as the runner would. */
  const runJobAt = (at: number) => heartbeatRollupJob(db).run({ scheduledAt: new Date(at), signal: new AbortController().signal, log: silent })

  it('rolls raw rows up per device and UTC minute: count, min/avg/max latency, last battery and signal', async () => {
    await createDeviceRegistry({ db }).add({ deviceId: 'd2', storeId: 's9' }, 'test')
    await insert(
      hb('d1', M - 1, { latencyMs: 999 }), // the minute before the range
      hb('d1', M + 5 * SECOND, { storeId: 's1', latencyMs: 10, batteryLevel: 80, signalStrength: -60 }),
      hb('d1', M + 20 * SECOND, { storeId: 's1', latencyMs: 20, batteryLevel: 79 }),
      hb('d1', M + MINUTE - 1, { latencyMs: 60 }), // last millisecond of minute M, without battery or signal
      hb('d1', M + MINUTE, { storeId: 's1', latencyMs: 5, batteryLevel: 78, signalStrength: -70 }), // first of M+1
      hb('d2', M + 30 * SECOND, { online: 0 }), // no readings; its store comes from the registry
      hb('d3', M + 31 * SECOND, { latencyMs: 7 }), // unknown device without a store
      hb('d1', M + 2 * MINUTE, { latencyMs: 999 }) // the minute after the range
    )
    expect(await rollupHeartbeats(db, M, M + 2 * MINUTE)).toEqual({ from: new Date(M), to: new Date(M + 2 * MINUTE), written: 4 })
    expect(await minutes()).toEqual([
      minuteRow('d1', M, { store_id: 's1', count: 3, latency_min: 10, latency_avg: 30, latency_max: 60, battery_last: 79, signal_last: -60 }),
      minuteRow('d1', M + MINUTE, { store_id: 's1', latency_min: 5, latency_avg: 5, latency_max: 5, battery_last: 78, signal_last: -70 }),
      minuteRow('d2', M, { store_id: 's9' }),
      minuteRow('d3', M, { latency_min: 7, latency_avg: 7, latency_max: 7 })
    ])
  })

  it('is idempotent: running again, or over part of a minute, leaves the same rows and rewrites none', async () => {
    await insert(
      hb('d1', M + 1 * SECOND, { latencyMs: 10, batteryLevel: 50 }),
      hb('d1', M + 40 * SECOND, { latencyMs: 15, batteryLevel: 49 }),
      hb('d1', M + 70 * SECOND, { latencyMs: 30 })
    )
    expect((await rollupHeartbeats(db, M, M + 2 * MINUTE)).written).toBe(2)
    const first = await minutes()
    expect((await rollupHeartbeats(db, M, M + 2 * MINUTE)).written).toBe(0)
    // A range inside minute M recomputes the whole minute, never a partial count.
    expect(await rollupHeartbeats(db, M + 30 * SECOND, M + 31 * SECOND)).toEqual({ from: new Date(M), to: new Date(M + MINUTE), written: 0 })
    expect(await minutes()).toEqual(first)
    expect(first).toEqual([
      minuteRow('d1', M, { count: 2, latency_min: 10, latency_avg: 12.5, latency_max: 15, battery_last: 49 }),
      minuteRow('d1', M + MINUTE, { latency_min: 30, latency_avg: 30, latency_max: 30 })
    ])
  })

  it('breaks a tie on received_at by value, so the last battery does not depend on scan order', async () => {
    await insert(hb('d1', M + SECOND, { batteryLevel: 40, signalStrength: -90 }), hb('d1', M + SECOND, { batteryLevel: 41, signalStrength: -80 }))
    await rollupHeartbeats(db, M, M + MINUTE)
    expect(await minutes()).toEqual([minuteRow('d1', M, { count: 2, battery_last: 41, signal_last: -80 })])
  })

  it('the job re-rolls the 5 minutes before its own, so a late row counts until then and not after', async () => {
    await insert(hb('d1', M - 6 * MINUTE + SECOND), hb('d1', M - 5 * MINUTE + SECOND), hb('d1', M + 2 * SECOND))
    await runJobAt(M + 10 * SECOND)
    // Its own minute so far and the 5 before it; minute M-6 is outside this run's window.
    expect(await minutesOf('d1')).toEqual([{ minute: new Date(M - 5 * MINUTE), count: 1 }, { minute: new Date(M), count: 1 }])

    await insert(hb('d1', M + 5 * SECOND, { latencyMs: 80 })) // committed after minute M's first run
    await runJobAt(M + 5 * MINUTE + 10 * SECOND) // minute M's last re-roll
    expect(await minutesOf('d1')).toEqual([{ minute: new Date(M - 5 * MINUTE), count: 1 }, { minute: new Date(M), count: 2 }])
    expect((await minutes())[1]).toEqual(minuteRow('d1', M, { count: 2, latency_min: 80, latency_avg: 80, latency_max: 80 }))

    await insert(hb('d1', M + 7 * SECOND)) // later than the overlap: minute M is final
    await runJobAt(M + 6 * MINUTE + 10 * SECOND)
    expect(await minutesOf('d1')).toEqual([{ minute: new Date(M - 5 * MINUTE), count: 1 }, { minute: new Date(M), count: 2 }])
  })

  it('through the runner: a first start rolls up the last minutes, and after downtime every missed minute is replayed', async () => {
    const clock = { t: M + 10 * SECOND, now() { return this.t } }
    await insert(...Array.from({ length: 31 }, (_, i) => hb('d1', M + (i - 10) * MINUTE + 5 * SECOND)))
    const runner = createJobRunner({ db, log: silent, clock, timeZone: 'Asia/Shanghai', owner: 'rollup-test' })
    runners.push(runner)
    runner.register(heartbeatRollupJob(db))
    await runner.start()
    await runner.tick()
    const span = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => ({ minute: new Date(M + (first + i) * MINUTE), count: 1 }))
    expect(await minutesOf('d1')).toEqual(span(-5, 0))

    clock.t = M + 20 * MINUTE + 10 * SECOND // twenty minutes without a run
    await runner.tick()
    expect(await minutesOf('d1')).toEqual(span(-5, 20))
    const job = await db.query('SELECT last_scheduled_at, last_status, runs_total, failures_total FROM jobs WHERE name = $1', ['heartbeats.rollup'])
    expect(job.rows).toEqual([{ last_scheduled_at: new Date(clock.t), last_status: 'ok', runs_total: 21, failures_total: 0 }])
  })

  it('retention deletes minute rollups older than the events retention and keeps those past raw heartbeat retention', async () => {
    const now = Date.now()
    const at = (ago: number) => Math.floor((now - ago) / MINUTE) * MINUTE
    const [old, mid, recent] = [at(100 * DAY), at(10 * DAY), at(60 * MINUTE)]
    await insert(hb('d1', old + SECOND), hb('d1', mid + SECOND), hb('d1', recent + SECOND))
    await rollupHeartbeats(db, old, now)
    expect(await minutesOf('d1')).toEqual([old, mid, recent].map((m) => ({ minute: new Date(m), count: 1 })))

    const result = await applyRetention(db, { retentionDays: 90, heartbeatRetentionDays: 7 }, now)
    expect(result.heartbeatMinutesDeleted).toBe(1)
    const kept = [mid, recent].map((m) => ({ minute: new Date(m), count: 1 }))
    expect(await minutesOf('d1')).toEqual(kept)
    // The raw rows of `mid` are gone with their partition; rolling up again keeps its rollup.
    expect((await db.query('SELECT received_at FROM heartbeats')).rows).toEqual([{ received_at: new Date(recent + SECOND) }])
    await rollupHeartbeats(db, old, now)
    expect(await minutesOf('d1')).toEqual(kept)
  })
})
