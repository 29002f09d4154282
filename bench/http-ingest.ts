/**
 * HTTP intake vs COPY. Subject: the gateway (own process, PostgreSQL store) answering
 * `POST /v1/batch` of 100 events from 64 connections — each answer only after commit.
 * Baselines, in another database of the same server, same table and indexes:
 * - per request: a naive gateway that COPYs each request — 64 concurrent clients, each
 *   COPYing its 100-row batch in its own transaction through a connection pool, waiting for
 *   the commit before the next (the same job as the gateway, with nothing else);
 * - bulk: 1,000 rows per committed transaction on one connection (the floor cost of storing).
 * Rounds alternate (bulk COPY, per-request COPY, gateway, …), each on emptied tables after a
 * CHECKPOINT.
 *
 * Alone: `node --import tsx bench/http-ingest.ts` (BENCH_ROUNDS, BENCH_HTTP_EVENTS,
 * BENCH_HTTP_COPY_POOL, BENCH_CPU_PROF=dir to profile the gateway).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createDatabase, startPostgres } from '../test/support/services.js'
import { startCommitMeter } from './lib/commit-stats.js'
import { BENCH_APP, compareRows, copyChunks, copyPerRequest, copyRows, openCopyPool, type CopyChunk } from './lib/copy-baseline.js'
import { fmtCpu, postmasterPid, single, startCpuMeter, withChildren, type CpuGroups } from './lib/cpu.js'
import { makeBatches } from './lib/events.js'
import { ensureBuilt, startGatewayProcess, writeKeyUrl, type GatewayProcess } from './lib/gateway-process.js'
import { postBatches, type HttpLoadResult } from './lib/http-load.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { countRows, prepareStoreSchema, resetTables, withClient } from './lib/pg.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRate, fmtRatio, median, type Latency } from './lib/stats.js'

export interface HttpIngestOptions {
  /** Events per round, for both sides. */
  events: number
  batchSize: number
  connections: number
  copyRowsPerCommit: number
  /** Connections of the per-request COPY baseline's pool (its clients are `connections`). */
  requestCopyPool: number
  rounds: number
  /** Each round of either side stops here, counted as far as it got. */
  roundTimeoutMs: number
  cpuProfDir?: string | undefined
}

export const httpIngestDefaults = (): HttpIngestOptions => ({
  events: envInt('BENCH_HTTP_EVENTS', 200_000),
  batchSize: 100,
  connections: 64,
  copyRowsPerCommit: 1_000,
  requestCopyPool: envInt('BENCH_HTTP_COPY_POOL', 4),
  rounds: envInt('BENCH_ROUNDS', 3),
  roundTimeoutMs: 60_000,
  cpuProfDir: process.env.BENCH_CPU_PROF
})

const EVENT_TABLES = ['events', 'event_keys'] as const
const WARMUP_BATCHES = 100
const SAMPLE_ROWS = 200

interface Setup {
  gatewayUrl: string
  copyUrl: string
  gateway: GatewayProcess
  /** Where batches go: the gateway's base URL with a write key of BENCH_APP in the path. */
  ingestUrl: string
  /** CPU of the parties: the gateway, PostgreSQL (postmaster and backends), this process (load generator / COPY client). */
  cpu: { gateway: CpuGroups; copy: CpuGroups }
  stop(): Promise<void>
}

async function setUp(opts: HttpIngestOptions): Promise<Setup> {
  await ensureBuilt()
  const pg = await startPostgres()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pulsegate-bench-http-'))
  try {
    const gatewayUrl = await createDatabase(pg.url, 'bench_gateway')
    const copyUrl = await createDatabase(pg.url, 'bench_copy')
    await prepareStoreSchema(copyUrl)
    const gateway = await startGatewayProcess({
      name: 'gateway-http', cpuProfDir: opts.cpuProfDir,
      env: { PULSEGATE_DATABASE_URL: gatewayUrl, PULSEGATE_DATA_DIR: dataDir }
    })
    const stop = async (): Promise<void> => {
      await gateway.stop()
      await pg.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
    const postgres = withChildren(postmasterPid(pg.dataDir))
    const cpu = { gateway: { gateway: single(gateway.pid), postgres, load: single(process.pid) }, copy: { postgres, client: single(process.pid) } }
    const ingestUrl = await writeKeyUrl(gateway.httpUrl, BENCH_APP)
    return { gatewayUrl, copyUrl, gateway, ingestUrl, cpu, stop }
  } catch (err) {
    await pg.stop()
    throw err
  }
}

/** JIT, connection pools and plan caches warm on both sides before the first measured round. */
async function warmUp(s: Setup, opts: HttpIngestOptions, columns: string[], chunks: CopyChunk[], bodies: string[]): Promise<void> {
  await postBatches(s.ingestUrl, bodies.slice(0, WARMUP_BATCHES), opts.connections, Date.now() + opts.roundTimeoutMs)
  await withClient(s.copyUrl, (client) => copyRows(client, columns, chunks.slice(0, 10), Date.now() + opts.roundTimeoutMs))
}

interface CopyRound { rate: number; rows: number; stored: number; latency?: Latency }
interface Round { copy: CopyRound; perRequest: CopyRound; gatewayRate: number; http: HttpLoadResult; stored: number }

async function copyRound(s: Setup, opts: HttpIngestOptions, columns: string[], chunks: CopyChunk[]): Promise<CopyRound> {
  await resetTables(s.copyUrl, EVENT_TABLES)
  // Connected before the CPU meter starts, so its backend is counted (it would vanish otherwise).
  const { copy, cpu } = await withClient(s.copyUrl, async (client) => {
    const stopCpu = startCpuMeter(s.cpu.copy)
    const copy = await copyRows(client, columns, chunks, Date.now() + opts.roundTimeoutMs)
    return { copy, cpu: stopCpu() }
  })
  const stored = await countRows(s.copyUrl, 'events')
  log(`  COPY     ${fmtRate(copy.rows / (copy.ms / 1000)).padStart(9)} rows/s   ${copy.rows} rows in ${fmtMs(copy.ms)}${copy.timedOut ? ' (TIMED OUT)' : ''}; stored ${stored}`)
  log(`           cpu ${fmtCpu(cpu)}`)
  return { rate: copy.rows / (copy.ms / 1000), rows: copy.rows, stored }
}

/** The naive gateway: 64 clients, one 100-row COPY transaction per request, through the pool. */
async function perRequestRound(s: Setup, opts: HttpIngestOptions, columns: string[], chunks: CopyChunk[]): Promise<CopyRound> {
  await resetTables(s.copyUrl, EVENT_TABLES)
  // Opened before the CPU meter starts, so its backends are counted.
  const pool = await openCopyPool(s.copyUrl, opts.requestCopyPool)
  try {
    const stopCpu = startCpuMeter(s.cpu.copy)
    const copy = await copyPerRequest(pool, columns, chunks, opts.connections, Date.now() + opts.roundTimeoutMs)
    const cpu = stopCpu()
    const stored = await countRows(s.copyUrl, 'events')
    const rate = copy.rows / (copy.ms / 1000)
    log(`  COPY/req ${fmtRate(rate).padStart(9)} rows/s   ${copy.rows} rows in ${fmtMs(copy.ms)}; p50 ${fmtMs(copy.latency.p50)} p99 ${fmtMs(copy.latency.p99)}` +
      `${copy.timedOut ? ' (TIMED OUT)' : ''}; stored ${stored}`)
    log(`           cpu ${fmtCpu(cpu)}`)
    return { rate, rows: copy.rows, stored, latency: copy.latency }
  } finally {
    await pool.end()
  }
}

async function gatewayRound(s: Setup, opts: HttpIngestOptions, bodies: string[]): Promise<{ rate: number; http: HttpLoadResult; stored: number }> {
  await resetTables(s.gatewayUrl, EVENT_TABLES)
  const commits = await startCommitMeter(s.gateway.httpUrl)
  const stopCpu = startCpuMeter(s.cpu.gateway)
  const http = await postBatches(s.ingestUrl, bodies, opts.connections, Date.now() + opts.roundTimeoutMs)
  const cpu = stopCpu()
  const commitNote = await commits()
  const stored = await countRows(s.gatewayUrl, 'events')
  const rate = http.accepted / (http.ms / 1000)
  log(`  gateway  ${fmtRate(rate).padStart(9)} events/s ${http.accepted} accepted (${http.duplicate} dup, ${http.rejected} rejected, ${http.failures} failed) in ${fmtMs(http.ms)}` +
    `; p50 ${fmtMs(http.latency.p50)} p99 ${fmtMs(http.latency.p99)}${http.timedOut ? ' (TIMED OUT)' : ''}; stored ${stored}`)
  log(`           cpu ${fmtCpu(cpu)}; ${commitNote}`)
  return { rate, http, stored }
}

/** One row per baseline: the naive per-request COPY (the same job), then bulk COPY (the floor). */
function toRows(opts: HttpIngestOptions, rounds: Round[], sample: Awaited<ReturnType<typeof compareRows>>): ResultRow[] {
  const expected = opts.events
  const copied = (c: CopyRound): boolean => c.stored === c.rows && c.rows === expected
  const allStored = rounds.every((r) => r.stored === r.http.accepted && r.http.accepted === expected && copied(r.copy) && copied(r.perRequest))
  const subjectRate = median(rounds.map((r) => r.gatewayRate))
  const row = (baseline: string, pick: (r: Round) => CopyRound): ResultRow => {
    const baselineRate = median(rounds.map((r) => pick(r).rate))
    const latencies = rounds.flatMap((r) => pick(r).latency ?? [])
    return {
      benchmark: `HTTP ${opts.batchSize}-event batches, ${opts.connections} connections, ${opts.events.toLocaleString('en-US')} events/round`,
      subject: 'gateway → PostgreSQL', subjectRate, baseline, baselineRate, unit: 'events/s', baselineUnit: 'rows/s',
      ratio: subjectRate / baselineRate,
      p50Ms: median(rounds.map((r) => r.http.latency.p50)), p99Ms: median(rounds.map((r) => r.http.latency.p99)),
      ...(latencies.length === 0 ? {} : { baselineP50Ms: median(latencies.map((l) => l.p50)), baselineP99Ms: median(latencies.map((l) => l.p99)) }),
      roundRatios: rounds.map((r) => r.gatewayRate / pick(r).rate),
      verified: `${allStored ? 'stored = acknowledged' : 'MISMATCH stored vs acknowledged'}; ${sample.equal}/${sample.compared} sampled rows equal`
    }
  }
  return [
    row(`naive gateway: COPY per ${opts.batchSize}-row request, ${opts.connections} clients, pool of ${opts.requestCopyPool}`, (r) => r.perRequest),
    row(`COPY, ${opts.copyRowsPerCommit.toLocaleString('en-US')} rows/commit, 1 connection`, (r) => r.copy)
  ]
}

export async function benchHttpIngest(opts: HttpIngestOptions = httpIngestDefaults()): Promise<ResultRow[]> {
  log(`\n# HTTP ingest: ${opts.events} events/round in ${opts.batchSize}-event batches over ${opts.connections} connections vs COPY per request ` +
    `(${opts.connections} clients, pool of ${opts.requestCopyPool}) and bulk COPY (${opts.rounds} alternating rounds)`)
  const { raws, bodies } = makeBatches('ev', opts.events, opts.batchSize)
  const { columns, chunks } = copyChunks(raws, opts.copyRowsPerCommit)
  const requestChunks = copyChunks(raws, opts.batchSize).chunks
  const s = await setUp(opts)
  try {
    await warmUp(s, opts, columns, chunks, bodies)
    const rounds: Round[] = []
    for (let r = 1; r <= opts.rounds; r++) {
      log(`round ${r}/${opts.rounds}`)
      const copy = await copyRound(s, opts, columns, chunks)
      const perRequest = await perRequestRound(s, opts, columns, requestChunks)
      const gw = await gatewayRound(s, opts, bodies)
      rounds.push({ copy, perRequest, gatewayRate: gw.rate, http: gw.http, stored: gw.stored })
      log(`  ratio    ${fmtRatio(gw.rate / perRequest.rate)} to COPY per request, ${fmtRatio(gw.rate / copy.rate)} to bulk COPY`)
    }
    const ids = Array.from({ length: SAMPLE_ROWS }, (_, i) => `ev-${Math.floor((i * opts.events) / SAMPLE_ROWS)}`)
    const sample = await compareRows(s.gatewayUrl, s.copyUrl, ids)
    if (sample.firstDiff !== undefined) log(`  row mismatch: ${sample.firstDiff}`)
    return toRows(opts, rounds, sample)
  } finally {
    await s.stop()
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchHttpIngest()))
}
