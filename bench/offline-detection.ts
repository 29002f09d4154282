/**
 * Offline detection: how late after its deadline the gateway declares a silent device
 * offline. 10,000 registered devices, spread over publisher processes, connect with keepalive
 * off, send one QoS 1 heartbeat each (interval 2 s, first publishes spread evenly over one
 * interval, as a fleet's are), then keep their connection open and say nothing: only the
 * heartbeat deadline (last heartbeat + 3 intervals) can take them offline — no Will, no
 * keepalive timeout. A subscriber on the gateway's `devices/+/status` notes when each
 * `offline` arrives, which is what a user sees; the stored `device_offline` events are the check.
 *
 * Delay per device = arrival of its `offline` − (its heartbeat's `received_at` in the store +
 * 3 × interval). There is no broker to compare with: the baseline is the ideal (offline at the
 * deadline, 0 ms), against which a 1 s periodic scan would be up to 1,000 ms late.
 *
 * Alone: `node --import tsx bench/offline-detection.ts` (BENCH_OFFLINE_DEVICES,
 * BENCH_OFFLINE_WORKERS, BENCH_OFFLINE_INTERVAL_S).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { MISSED_INTERVALS } from '../processors/presence/presence.js'
import { withDatabase } from './lib/bench-database.js'
import { fmtCpu, postmasterPid, single, startCpuMeter, withChildren } from './lib/cpu.js'
import { loginsOf, registerFleet, serviceAccount } from './lib/device-registry.js'
import { ensureBuilt, startGatewayProcess } from './lib/gateway-process.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { deviceId, forkPublisher, forkSubscriber, type Publisher, type PublisherRequest, type Subscriber } from './lib/mqtt-messages.js'
import { countRows, withClient } from './lib/pg.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, latencyOf, type Latency } from './lib/stats.js'

export interface OfflineDetectionOptions {
  devices: number
  /** Publisher processes (the open-file limit is per process). */
  workers: number
  /** The devices' registered heartbeat interval. */
  intervalS: number
  /** After the last deadline, how long to wait at most for the last `offline` event and status before counting what came. */
  graceMs: number
}

export const offlineDetectionDefaults = (): OfflineDetectionOptions => ({
  devices: envInt('BENCH_OFFLINE_DEVICES', 10_000),
  workers: envInt('BENCH_OFFLINE_WORKERS', 2),
  intervalS: envInt('BENCH_OFFLINE_INTERVAL_S', 2),
  graceMs: 30_000
})

/** The target: a user sees a device offline within a second of its deadline. */
const TARGET_P99_MS = 1_000
const STATUS_FILTER = 'devices/+/status'
const POLL_MS = 250
/** Statuses go out after the events: once every event is stored, the count of `offline` seen must stop growing this long. */
const STATUS_QUIET_MS = 3_000

interface Delays { seen: Latency; stored: Latency; offline: number; mismatchedDeadlines: number; cpu: string }

/** Per device: the deadline the gateway should keep, from the heartbeat row it committed. */
async function deadlines(pgUrl: string, intervalMs: number): Promise<Map<string, number>> {
  return withClient(pgUrl, async (c) => {
    const res = await c.query<{ device_id: string; ms: string }>('SELECT device_id, extract(epoch FROM max(received_at)) * 1000 AS ms FROM heartbeats GROUP BY device_id')
    return new Map(res.rows.map((r) => [r.device_id, Number(r.ms) + MISSED_INTERVALS * intervalMs]))
  })
}

/** Per device: the stored `device_offline` event's instant (its deadline) and when it was recorded. */
async function offlineEvents(pgUrl: string): Promise<Map<string, { at: number; recorded: number }>> {
  return withClient(pgUrl, async (c) => {
    const res = await c.query<{ device_id: string; at: string; recorded: string }>(
      "SELECT device_id, extract(epoch FROM occurred_at) * 1000 AS at, extract(epoch FROM received_at) * 1000 AS recorded FROM events WHERE event_name = 'device_offline'")
    return new Map(res.rows.map((r) => [r.device_id, { at: Number(r.at), recorded: Number(r.recorded) }]))
  })
}

/** Polls the subscriber until every device's `offline` came, none came for STATUS_QUIET_MS, or `until`. */
async function awaitStatuses(subscriber: Subscriber, devices: number, until: number): Promise<Record<string, number>> {
  let seen: Record<string, number> = {}
  let grewAt = Date.now()
  for (let n = -1; Date.now() < until && Date.now() - grewAt < STATUS_QUIET_MS; await sleep(POLL_MS)) {
    const reply = await subscriber.request({ type: 'arrivals' })
    seen = reply.type === 'arrivals' ? reply.at : {}
    const count = Object.keys(seen).length
    if (count === devices) break
    if (count > n) { n = count; grewAt = Date.now() }
  }
  return seen
}

async function awaitOffline(pgUrl: string, devices: number, until: number): Promise<number> {
  let n = await countRows(pgUrl, 'events', "event_name = 'device_offline'")
  while (n < devices && Date.now() < until) {
    await sleep(POLL_MS)
    n = await countRows(pgUrl, 'events', "event_name = 'device_offline'")
  }
  return n
}

/** Connects the fleet (keepalive off), sends one heartbeat per device spread over an interval, and waits for them all to go offline. */
async function run(opts: OfflineDetectionOptions, gateway: { mqttUrl: string; pid: number }, pgUrl: string, postgres: () => number[], secrets: Map<string, string>, subscriber: Subscriber): Promise<Delays> {
  const publishers: Publisher[] = Array.from({ length: opts.workers }, (_, w) => forkPublisher(`offline-publisher-${w}`))
  try {
    const ids = (w: number): string[] => Array.from({ length: opts.devices }, (_, n) => n).filter((n) => n % opts.workers === w).map(deviceId)
    const started = Date.now()
    await Promise.all(publishers.map((p, w) => p.request({ type: 'connect', url: gateway.mqttUrl, devices: loginsOf(ids(w), secrets), keepaliveS: 0 })))
    log(`  ${opts.devices} devices connected in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const intervalMs = opts.intervalS * 1000
    const startAt = Date.now() + 200
    const stopCpu = startCpuMeter({ gateway: single(gateway.pid), postgres, load: () => publishers.map((p) => p.pid), subscriber: single(subscriber.pid) })
    const publish: PublisherRequest = { type: 'publish', startAt, perDevice: 1, window: 1, deadline: startAt + intervalMs + opts.graceMs, intervalS: opts.intervalS, qos: 1, spreadMs: intervalMs }
    const replies = await Promise.all(publishers.map((p) => p.request(publish)))
    const acked = replies.reduce((n, r) => n + (r.type === 'published' ? r.acked : 0), 0)
    log(`  ${acked}/${opts.devices} heartbeats acknowledged; now silent, connections open`)
    const lastDeadline = startAt + intervalMs * (1 + MISSED_INTERVALS)
    const offline = await awaitOffline(pgUrl, opts.devices, lastDeadline + opts.graceMs)
    const arrivals = await awaitStatuses(subscriber, opts.devices, lastDeadline + opts.graceMs)
    const cpu = fmtCpu(stopCpu())
    return { ...await delays(pgUrl, intervalMs, arrivals), offline, cpu }
  } finally {
    for (const p of publishers) await p.close()
  }
}

async function delays(pgUrl: string, intervalMs: number, arrivals: Record<string, number>): Promise<Omit<Delays, 'offline' | 'cpu'>> {
  const due = await deadlines(pgUrl, intervalMs)
  const events = await offlineEvents(pgUrl)
  const seen: number[] = []
  const stored: number[] = []
  let mismatchedDeadlines = 0
  for (const [id, deadline] of due) {
    const at = arrivals[`devices/${id}/status`]
    if (at !== undefined) seen.push(at - deadline)
    const event = events.get(id)
    if (event === undefined) continue
    stored.push(event.recorded - deadline)
    // The event's instant is the deadline the gateway kept; it must be the one its own row implies.
    if (Math.abs(event.at - deadline) > 1) mismatchedDeadlines++
  }
  return { seen: latencyOf(seen), stored: latencyOf(stored), mismatchedDeadlines }
}

function toRow(opts: OfflineDetectionOptions, d: Delays): ResultRow {
  // Judged on what a user sees, and on the store too when statuses went missing on the way.
  const met = d.seen.p99 <= TARGET_P99_MS && d.stored.p99 <= TARGET_P99_MS && d.offline === opts.devices
  const missing = opts.devices - d.seen.count
  const checks = [
    `${d.offline}/${opts.devices} device_offline stored`,
    missing === 0 ? 'every offline status seen' : `MISSING ${missing} offline statuses (${d.seen.count}/${opts.devices} seen)`,
    d.mismatchedDeadlines === 0 ? 'event time = heartbeat + 3 intervals' : `MISMATCH ${d.mismatchedDeadlines} event times`,
    `stored p50/p99 ${fmtMs(d.stored.p50)} / ${fmtMs(d.stored.p99)}`
  ]
  return {
    benchmark: `Offline detection, ${opts.devices.toLocaleString('en-US')} silent devices (interval ${opts.intervalS} s, connections open), ${opts.workers} client processes`,
    subject: 'gateway → PostgreSQL: `offline` on devices/+/status after the deadline',
    subjectRate: Number.NaN, baseline: 'ideal: offline at the deadline (a 1 s periodic scan: up to 1,000 ms)', baselineRate: Number.NaN, unit: 'ms',
    ratio: Number.NaN, p50Ms: d.seen.p50, p99Ms: d.seen.p99, roundRatios: [],
    cells: { subjectRate: `max ${fmtMs(d.seen.max)}`, baselineRate: '0 ms', ratio: `p99 ≤ 1 s: ${met ? 'met' : 'NOT MET'}`, roundRatios: '—' },
    verified: checks.join('; ')
  }
}

export async function benchOfflineDetection(opts: OfflineDetectionOptions = offlineDetectionDefaults()): Promise<ResultRow[]> {
  log(`\n# Offline detection: ${opts.devices} devices over ${opts.workers} processes, one heartbeat each (interval ${opts.intervalS} s), then silent`)
  await ensureBuilt()
  return withDatabase('bench_offline', async ({ url, dataDir, server }) => {
    const gateway = await startGatewayProcess({ name: 'gateway-offline', env: { PULSEGATE_DATABASE_URL: url, PULSEGATE_DATA_DIR: dataDir } })
    let subscriber: Subscriber | undefined
    try {
      const secrets = await registerFleet(gateway.httpUrl, opts.devices, opts.intervalS)
      const account = await serviceAccount(gateway.httpUrl, 'bench-status', [STATUS_FILTER])
      subscriber = forkSubscriber('status-subscriber')
      await subscriber.request({ type: 'connect', url: gateway.mqttUrl, topic: STATUS_FILTER, qos: 1, ...account, watch: 'offline' })
      const d = await run(opts, gateway, url, withChildren(postmasterPid(server.dataDir)), secrets, subscriber)
      log(`  offline seen: p50 ${fmtMs(d.seen.p50)} p99 ${fmtMs(d.seen.p99)} max ${fmtMs(d.seen.max)} after the deadline (${d.seen.count} devices); ` +
        `stored: p50 ${fmtMs(d.stored.p50)} p99 ${fmtMs(d.stored.p99)} (${d.stored.count})`)
      log(`  cpu ${d.cpu}`)
      return [toRow(opts, d)]
    } finally {
      await subscriber?.close()
      await gateway.stop()
    }
  })
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchOfflineDetection()))
}
