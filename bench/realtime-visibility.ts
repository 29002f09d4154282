/**
 * Realtime visibility: how long after a `POST /v1/batch` is answered 200 its page views show
 * in `GET /v1/stats/realtime` (SPEC §8: PV within 1 s of the acknowledgement), as a user
 * polling the route sees them. After each 200, the client reads the route (read key) until
 * the last hour's PV holds every page view acknowledged so far; the delay is from the answer
 * to that read. Two subjects, each a gateway on PostgreSQL: the embedded counters (fed before
 * the answer leaves) and the Redis counters (`PULSEGATE_REDIS_URL`, written after the commit
 * without holding the answer). A batch not visible within 10 s counts as failed.
 *
 * Alone: `node --import tsx bench/realtime-visibility.ts` (BENCH_REALTIME_BATCHES, BENCH_REALTIME_CONNECTIONS).
 */
import { loadConfig } from '../gateway/config/load.js'
import { startGateway, type RunningGateway } from '../gateway/listen.js'
import { startRedis } from '../test/support/services.js'
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
/** Longest a client waits for its batch to show before counting it failed. */
const GIVE_UP_MS = 10_000

interface Run { visible: Latency; ack: Latency; acked: number; counted: number; failures: number; eventsPerSecond: number }

/** The last hour's PV as the stats route answers it. */
async function readPv(url: string, readKey: string): Promise<number> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${readKey}` } })
  const body = await res.json() as { windows?: { '1h'?: { pv?: number } } }
  return body.windows?.['1h']?.pv ?? 0
}

async function post(url: string, body: string): Promise<{ ok: boolean; accepted: number }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const answer = await res.json() as { accepted?: number }
  return { ok: res.status === 200, accepted: answer.accepted ?? 0 }
}

async function load(gw: RunningGateway, opts: RealtimeVisibilityOptions, writeKey: string, readKey: string): Promise<Run> {
  const { raws, bodies } = makeBatches(`rt-${Date.now()}`, opts.batches * opts.batchSize, opts.batchSize)
  const pageViews = raws.map((batch) => batch.filter((e) => e.event_name === 'page_view').length)
  const url = `${gw.httpUrl}/k/${writeKey}/v1/batch`
  const statsUrl = `${gw.httpUrl}/v1/stats/realtime`
  const visible: number[] = []
  const ack: number[] = []
  let acked = 0
  let failures = 0
  let next = 0
  const client = async (): Promise<void> => {
    while (next < bodies.length) {
      const i = next++
      const sent = performance.now()
      const answer = await post(url, bodies[i] as string)
      const answeredAt = performance.now()
      ack.push(answeredAt - sent)
      if (!answer.ok || answer.accepted !== raws[i]?.length) { failures++; continue }
      acked += pageViews[i] ?? 0
      // Every page view acknowledged so far, this batch's included, must show.
      const due = acked
      while (await readPv(statsUrl, readKey) < due) {
        if (performance.now() - answeredAt > GIVE_UP_MS) { failures++; break }
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      visible.push(performance.now() - answeredAt)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: opts.connections }, client))
  const seconds = (performance.now() - started) / 1000
  return { visible: latencyOf(visible), ack: latencyOf(ack), acked, counted: await readPv(statsUrl, readKey), failures, eventsPerSecond: (bodies.length * opts.batchSize) / seconds }
}

function toRow(opts: RealtimeVisibilityOptions, name: string, r: Run): ResultRow {
  const met = r.visible.p99 <= TARGET_MS && r.failures === 0
  return {
    benchmark: `Realtime visibility, ${opts.batches.toLocaleString('en-US')} HTTP batches of ${opts.batchSize}, ${opts.connections} connections, read through GET /v1/stats/realtime`,
    subject: `gateway → PostgreSQL, ${name}: 200 answer → the route's PV holds the batch`,
    subjectRate: r.eventsPerSecond, baseline: 'ideal: counted at the answer', baselineRate: Number.NaN, unit: 'events/s',
    ratio: Number.NaN, p50Ms: r.visible.p50, p99Ms: r.visible.p99, roundRatios: [],
    cells: { subjectRate: `max ${fmtMs(r.visible.max)}`, baselineRate: '0 ms', ratio: `p99 ≤ 1 s: ${met ? 'met' : 'NOT MET'}`, roundRatios: '—' },
    verified: `PV ${r.counted} = page views acknowledged ${r.acked}${r.counted === r.acked ? '' : ' MISMATCH'}; ${r.failures} failed batches; ack p50/p99 ${fmtMs(r.ack.p50)} / ${fmtMs(r.ack.p99)}`
  }
}

export async function benchRealtimeVisibility(opts: RealtimeVisibilityOptions = realtimeVisibilityDefaults()): Promise<ResultRow[]> {
  log(`\n# Realtime visibility: ${opts.batches} batches of ${opts.batchSize} over ${opts.connections} connections, answer → GET /v1/stats/realtime`)
  const rows: ResultRow[] = []
  rows.push(await subject(opts, 'embedded counters', {}))
  const redis = await startRedis()
  try {
    rows.push(await subject(opts, 'Redis counters', { PULSEGATE_REDIS_URL: redis.url }))
  } finally {
    await redis.stop()
  }
  return rows
}

async function subject(opts: RealtimeVisibilityOptions, name: string, env: Record<string, string>): Promise<ResultRow> {
  return withDatabase('bench_realtime', async ({ url, dataDir }) => {
    const config = loadConfig({ env: { PULSEGATE_HTTP_PORT: '0', PULSEGATE_MQTT_PORT: '0', PULSEGATE_LOG_LEVEL: 'warn', PULSEGATE_DATA_DIR: dataDir, PULSEGATE_DATABASE_URL: url, ...env } })
    const gw = await startGateway(config)
    try {
      const keys = gw.gateway.services.keys
      const write = (await keys.create({ kind: 'write', appId: 'bench' }, 'bench')).secret
      const read = (await keys.create({ kind: 'read', appId: null }, 'bench')).secret
      const r = await load(gw, opts, write, read)
      log(`  ${name}: ${fmtRate(r.eventsPerSecond)} events/s acknowledged; visible after the answer: p50 ${fmtMs(r.visible.p50)} p99 ${fmtMs(r.visible.p99)} max ${fmtMs(r.visible.max)} (${r.visible.count} batches); PV ${r.counted}/${r.acked}`)
      return toRow(opts, name, r)
    } finally {
      await gw.stop()
    }
  })
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchRealtimeVisibility()))
}
