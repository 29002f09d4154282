/**
 * HTTP intake vs COPY. Subject: the gateway (own process, PostgreSQL store) answering
 * `POST /v1/batch` of 100 events from 64 connections — each answer only after commit.
 * Baseline: the same rows COPYed into the same table and indexes, 1,000 rows per committed
 * transaction, on one connection, in another database of the same server. Rounds alternate
 * (COPY, gateway, COPY, gateway…), each on emptied tables after a CHECKPOINT.
 *
 * Alone: `node --import tsx bench/http-ingest.ts` (BENCH_ROUNDS, BENCH_HTTP_EVENTS,
 * BENCH_CPU_PROF=dir to profile the gateway).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createDatabase, startPostgres } from '../test/support/services.js'
import { startCommitMeter } from './lib/commit-stats.js'
import { BENCH_APP, compareRows, copyChunks, copyRows, type CopyChunk } from './lib/copy-baseline.js'
import { fmtCpu, postmasterPid, single, startCpuMeter, withChildren, type CpuGroups } from './lib/cpu.js'
import { makeBatches } from './lib/events.js'
import { ensureBuilt, startGatewayProcess, writeKeyUrl, type GatewayProcess } from './lib/gateway-process.js'
import { postBatches, type HttpLoadResult } from './lib/http-load.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { countRows, prepareStoreSchema, resetTables, withClient } from './lib/pg.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRate, fmtRatio, median } from './lib/stats.js'

export interface HttpIngestOptions {
  /** Events per round, for both sides. */
  events: number
  batchSize: number
  connections: number
  copyRowsPerCommit: number
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

interface Round { copyRate: number; gatewayRate: number; http: HttpLoadResult; copied: number; stored: number; copyStored: number }

async function copyRound(s: Setup, opts: HttpIngestOptions, columns: string[], chunks: CopyChunk[]): Promise<{ rate: number; rows: number; stored: number }> {
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

function toRow(opts: HttpIngestOptions, rounds: Round[], sample: Awaited<ReturnType<typeof compareRows>>): ResultRow {
  const expected = opts.events
  const allStored = rounds.every((r) => r.stored === r.http.accepted && r.http.accepted === expected && r.copyStored === r.copied && r.copied === expected)
  const subjectRate = median(rounds.map((r) => r.gatewayRate))
  const baselineRate = median(rounds.map((r) => r.copyRate))
  return {
    benchmark: `HTTP ${opts.batchSize}-event batches, ${opts.connections} connections, ${opts.events.toLocaleString('en-US')} events/round`,
    subject: 'gateway → PostgreSQL',
    subjectRate, baseline: `COPY, ${opts.copyRowsPerCommit.toLocaleString('en-US')} rows/commit, 1 connection`, baselineRate, unit: 'events/s', baselineUnit: 'rows/s',
    ratio: subjectRate / baselineRate,
    p50Ms: median(rounds.map((r) => r.http.latency.p50)), p99Ms: median(rounds.map((r) => r.http.latency.p99)),
    roundRatios: rounds.map((r) => r.gatewayRate / r.copyRate),
    verified: `${allStored ? 'stored = acknowledged' : 'MISMATCH stored vs acknowledged'}; ${sample.equal}/${sample.compared} sampled rows equal`
  }
}

export async function benchHttpIngest(opts: HttpIngestOptions = httpIngestDefaults()): Promise<ResultRow[]> {
  log(`\n# HTTP ingest: ${opts.events} events/round in ${opts.batchSize}-event batches over ${opts.connections} connections vs COPY (${opts.rounds} alternating rounds)`)
  const { raws, bodies } = makeBatches('ev', opts.events, opts.batchSize)
  const { columns, chunks } = copyChunks(raws, opts.copyRowsPerCommit)
  const s = await setUp(opts)
  try {
    await warmUp(s, opts, columns, chunks, bodies)
    const rounds: Round[] = []
    for (let r = 1; r <= opts.rounds; r++) {
      log(`round ${r}/${opts.rounds}`)
      const copy = await copyRound(s, opts, columns, chunks)
      const gw = await gatewayRound(s, opts, bodies)
      rounds.push({ copyRate: copy.rate, copied: copy.rows, copyStored: copy.stored, gatewayRate: gw.rate, http: gw.http, stored: gw.stored })
      log(`  ratio    ${fmtRatio(gw.rate / copy.rate)}`)
    }
    const ids = Array.from({ length: SAMPLE_ROWS }, (_, i) => `ev-${Math.floor((i * opts.events) / SAMPLE_ROWS)}`)
    const sample = await compareRows(s.gatewayUrl, s.copyUrl, ids)
    if (sample.firstDiff !== undefined) log(`  row mismatch: ${sample.firstDiff}`)
    return [toRow(opts, rounds, sample)]
  } finally {
    await s.stop()
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchHttpIngest()))
}
