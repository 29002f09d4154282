/**
 * Realtime visibility: how long after a `POST /v1/batch` is answered 200 its events show in
 * the realtime counters (SPEC §7). No route or metric exposes the counters yet (the stats API
 * comes later), so the gateway runs in this process (`startGateway`, PostgreSQL store, real
 * HTTP on a loopback port) and the counters are read through the interface the stats API
 * will read: `services.counters.day(day)`. After each 200, the benchmark reads the
 * counters until they hold every event acknowledged so far; the delay is from the answer to
 * that read. The counters are fed right after the commit, before the answer leaves, so this
 * measures the embedded counters' path; a Redis backend or the stats route will add their
 * own hop, to measure once they exist.
 *
 * Alone: `node --import tsx bench/realtime-visibility.ts` (BENCH_REALTIME_BATCHES, BENCH_REALTIME_CONNECTIONS).
 */
import { loadConfig } from '../gateway/config/load.js'
import { startGateway, type RunningGateway } from '../gateway/listen.js'
import { localDay, type RealtimeCounters } from '../processors/realtime/counters.js'
import { withDatabase } from './lib/bench-database.js'
import { makeBatches } from './lib/events.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRate, latencyOf, type Latency } from './lib/stats.js'

export interface RealtimeVisibilityOptions {
  /** Batches of `batchSize` events posted in all. */
  batches: number
  batchSize: number
  /** Clients posting at once, one batch in flight each. */
  connections: number
}

export const realtimeVisibilityDefaults = (): RealtimeVisibilityOptions => ({
  batches: envInt('BENCH_REALTIME_BATCHES', 1_000),
  batchSize: 100,
  connections: envInt('BENCH_REALTIME_CONNECTIONS', 16)
})

const TARGET_MS = 1_000
/** Events are dated up to five minutes back (lib/events.ts): near midnight they fall on two days. */
const EVENT_AGE_MS = 300_000

interface Run { visible: Latency; ack: Latency; acked: number; counted: number; failures: number; eventsPerSecond: number }

/** Events the counters hold (the default `events` metric) for the days the batches' events fall on. */
async function counted(counters: RealtimeCounters, days: readonly string[]): Promise<number> {
  let n = 0
  for (const day of days) n += (await counters.day(day)).events ?? 0
  return n
}

async function post(url: string, body: string): Promise<{ ok: boolean; accepted: number }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const answer = await res.json() as { accepted?: number }
  return { ok: res.status === 200, accepted: answer.accepted ?? 0 }
}

async function load(gw: RunningGateway, opts: RealtimeVisibilityOptions, writeKey: string): Promise<Run> {
  const { bodies } = makeBatches(`rt-${Date.now()}`, opts.batches * opts.batchSize, opts.batchSize)
  const zoneDay = localDay(gw.gateway.services.config.timeZone)
  const days = [...new Set([zoneDay(Date.now() - EVENT_AGE_MS), zoneDay(Date.now())])]
  const counters = gw.gateway.services.counters
  const url = `${gw.httpUrl}/k/${writeKey}/v1/batch`
  const visible: number[] = []
  const ack: number[] = []
  let acked = 0
  let failures = 0
  let next = 0
  const client = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] as string
      const sent = performance.now()
      const answer = await post(url, body)
      const answeredAt = performance.now()
      ack.push(answeredAt - sent)
      if (!answer.ok) { failures++; continue }
      acked += answer.accepted
      // Everything acknowledged so far, this batch included, must be counted.
      const due = acked
      while (await counted(counters, days) < due) await new Promise((resolve) => setImmediate(resolve))
      visible.push(performance.now() - answeredAt)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: opts.connections }, client))
  const seconds = (performance.now() - started) / 1000
  return { visible: latencyOf(visible), ack: latencyOf(ack), acked, counted: await counted(counters, days), failures, eventsPerSecond: acked / seconds }
}

function toRow(opts: RealtimeVisibilityOptions, r: Run): ResultRow {
  const met = r.visible.p99 <= TARGET_MS && r.failures === 0
  return {
    benchmark: `Realtime visibility, ${opts.batches.toLocaleString('en-US')} HTTP batches of ${opts.batchSize}, ${opts.connections} connections (in-process: no stats route yet)`,
    subject: 'gateway → PostgreSQL: 200 answer → embedded realtime counters hold the batch',
    subjectRate: r.eventsPerSecond, baseline: 'ideal: counted at the answer', baselineRate: Number.NaN, unit: 'events/s',
    ratio: Number.NaN, p50Ms: r.visible.p50, p99Ms: r.visible.p99, roundRatios: [],
    cells: { subjectRate: `max ${fmtMs(r.visible.max)}`, baselineRate: '0 ms', ratio: `p99 ≤ 1 s: ${met ? 'met' : 'NOT MET'}`, roundRatios: '—' },
    verified: `counted ${r.counted} = acknowledged ${r.acked}${r.counted === r.acked ? '' : ' MISMATCH'}; ${r.failures} failed batches; ack p50/p99 ${fmtMs(r.ack.p50)} / ${fmtMs(r.ack.p99)}`
  }
}

export async function benchRealtimeVisibility(opts: RealtimeVisibilityOptions = realtimeVisibilityDefaults()): Promise<ResultRow[]> {
  log(`\n# Realtime visibility: ${opts.batches} batches of ${opts.batchSize} over ${opts.connections} connections, answer → counters (in-process gateway)`)
  return withDatabase('bench_realtime', async ({ url, dataDir }) => {
    const config = loadConfig({ env: { PULSEGATE_HTTP_PORT: '0', PULSEGATE_MQTT_PORT: '0', PULSEGATE_LOG_LEVEL: 'warn', PULSEGATE_DATA_DIR: dataDir, PULSEGATE_DATABASE_URL: url } })
    const gw = await startGateway(config)
    try {
      const { secret } = await gw.gateway.services.keys.create({ kind: 'write', appId: 'bench' }, 'bench')
      const r = await load(gw, opts, secret)
      log(`  ${fmtRate(r.eventsPerSecond)} events/s acknowledged; visible after the answer: p50 ${fmtMs(r.visible.p50)} p99 ${fmtMs(r.visible.p99)} max ${fmtMs(r.visible.max)} (${r.visible.count} batches); counted ${r.counted}/${r.acked}`)
      return [toRow(opts, r)]
    } finally {
      await gw.stop()
    }
  })
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchRealtimeVisibility()))
}
