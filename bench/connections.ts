/**
 * Connections: what a fleet of idle-ish devices costs the broker process. 15,000 MQTT.js
 * clients, spread over worker processes, connect gradually and heartbeat every 5 s; at steady
 * state the broker's RSS and heap (minus its idle figures, per device) and its CPU are read
 * from /proc. Subject: the gateway (authenticating every device, storing every heartbeat in
 * PostgreSQL). Baseline: a bare aedes broker with the same clients, anonymous.
 *
 * Alone: `node --import tsx bench/connections.ts` (BENCH_CONN_DEVICES, BENCH_CONN_WORKERS,
 * BENCH_CONN_RATE, BENCH_CONN_WINDOW_S, BENCH_CONN_SETTLE_S, BENCH_CONN_QOS, BENCH_CPU_PROF).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDatabase, startPostgres } from '../test/support/services.js'
import type { BrokerReply, BrokerRequest, FleetDevice, FleetReply, FleetRequest } from './lib/connections-messages.js'
import { fmtCpu, postmasterPid, single, startCpuMeter, withChildren, type CpuGroups } from './lib/cpu.js'
import { registerFleet } from './lib/device-registry.js'
import { ensureBuilt, startGatewayProcess } from './lib/gateway-process.js'
import { metricSum, scrapeMetrics } from './lib/gateway-metrics.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { deviceId } from './lib/mqtt-messages.js'
import { openFilesLimit, rssBytes } from './lib/proc-status.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRatio, median, type Latency } from './lib/stats.js'
import { forkWorker, type Worker } from './lib/worker-ipc.js'

export interface ConnectionsOptions {
  devices: number
  /** Fleet processes the clients are spread over (each holds devices ÷ workers sockets). */
  workers: number
  /** CONNECTs a second, over the whole fleet. */
  connectPerSecond: number
  heartbeatIntervalS: number
  /** QoS of the heartbeats: 1, the product's normal (each PUBACK means "committed"), or 0. */
  qos: 0 | 1
  /** After the last CONNACK, before the window: presence, caches and the heap settle. */
  settleMs: number
  /** The steady-state window over which CPU and heartbeats are counted and memory sampled. */
  windowMs: number
  cpuProfDir?: string | undefined
}

export const connectionsDefaults = (): ConnectionsOptions => ({
  devices: envInt('BENCH_CONN_DEVICES', 15_000),
  workers: envInt('BENCH_CONN_WORKERS', 2),
  connectPerSecond: envInt('BENCH_CONN_RATE', 500),
  heartbeatIntervalS: 5,
  qos: process.env.BENCH_CONN_QOS === '0' ? 0 : 1,
  settleMs: envInt('BENCH_CONN_SETTLE_S', 15) * 1000,
  windowMs: envInt('BENCH_CONN_WINDOW_S', 60) * 1000,
  cpuProfDir: process.env.BENCH_CPU_PROF
})

/** Sockets a broker or fleet process holds besides the devices' (PostgreSQL pool, listeners, files). */
const OPEN_FILES_MARGIN = 1_000
const SAMPLE_EVERY_MS = 5_000
const IDLE_SAMPLES = 3
/** Devices of the warm-up (connect, one heartbeat interval, disconnect) before the idle figures. */
const WARMUP_DEVICES = 500

type Fleet = Array<Worker<FleetRequest, FleetReply>>
type Counts = Extract<FleetReply, { type: 'counts' }>
type Connected = Extract<FleetReply, { type: 'connected' }>

/** Bytes: RSS, V8 heap used and committed, and memory outside the heap (Buffers, native) that V8 tracks. */
interface Memory { rss: number; heapUsed: number; heapTotal: number; external: number }
type Heap = Omit<Memory, 'rss'>

/** A broker under measurement: where the fleet connects, how it is asked for memory, what proves the fleet is there. */
interface Target {
  key: string
  label: string
  url: string
  pid: number
  cpu: CpuGroups
  devices: FleetDevice[]
  heap(): Promise<Heap>
  /** After the window: whether the broker itself counts the whole fleet. */
  check(devices: number): Promise<{ ok: boolean; note: string }>
}

interface TargetResult {
  connect: Connected
  idle: Memory
  /** Before the fleet was registered (gateway only): the registry's share of memory. */
  unregistered?: Memory
  steady: Memory
  cpu: Record<string, number>
  heartbeats: number
  failed: number
  connectedAtEnd: number
  check: { ok: boolean; note: string }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`

async function memoryOf(t: Target): Promise<Memory> {
  return { rss: rssBytes(t.pid), ...await t.heap() }
}

/** Medians of a few samples a second apart: RSS and heap move with every GC. */
async function idleMemory(t: Target): Promise<Memory> {
  const samples: Memory[] = []
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    await sleep(1_000)
    samples.push(await memoryOf(t))
  }
  return medianMemory(samples)
}

function medianMemory(samples: Memory[]): Memory {
  const of = (key: keyof Memory): number => median(samples.map((s) => s[key]))
  return { rss: of('rss'), heapUsed: of('heapUsed'), heapTotal: of('heapTotal'), external: of('external') }
}

async function startAedes(): Promise<{ target: (devices: FleetDevice[]) => Target; worker: Worker<BrokerRequest, BrokerReply> }> {
  const worker = forkWorker<BrokerRequest, BrokerReply>(new URL('./aedes-broker.ts', import.meta.url), 'aedes')
  const started = await worker.request({ type: 'start' })
  if (started.type !== 'listening') throw new Error('aedes did not start')
  const memory = async (): Promise<Extract<BrokerReply, { type: 'memory' }>> => {
    const reply = await worker.request({ type: 'memory' })
    if (reply.type !== 'memory') throw new Error('aedes did not answer with its memory')
    return reply
  }
  return {
    worker,
    target: (devices) => ({
      key: 'aedes', label: 'bare aedes (anonymous, in-memory)', url: started.url, pid: worker.pid, devices,
      cpu: { broker: single(worker.pid) },
      heap: async () => {
        const { heapUsed, heapTotal, external } = await memory()
        return { heapUsed, heapTotal, external }
      },
      async check(n) {
        const clients = (await memory()).clients
        return { ok: clients === n, note: `aedes connectedClients ${clients}` }
      }
    })
  }
}

function gatewayTarget(httpUrl: string, url: string, pid: number, postgres: () => number[], devices: FleetDevice[]): Target {
  return {
    key: 'gateway', label: 'gateway → PostgreSQL (every device authenticated)', url, pid, devices,
    cpu: { gateway: single(pid), postgres },
    async heap() {
      const text = await scrapeMetrics(httpUrl)
      return { heapUsed: metricSum(text, 'nodejs_heap_size_used_bytes'), heapTotal: metricSum(text, 'nodejs_heap_size_total_bytes'), external: metricSum(text, 'nodejs_external_memory_bytes') }
    },
    async check(n) {
      const text = await scrapeMetrics(httpUrl)
      const connections = metricSum(text, 'pulsegate_mqtt_connections')
      const online = metricSum(text, 'pulsegate_devices_online')
      return { ok: connections === n && online === n, note: `pulsegate_mqtt_connections ${connections}, pulsegate_devices_online ${online}` }
    }
  }
}

/** The round-robin share of `devices` for fleet process `w`. */
const shareOf = (devices: FleetDevice[], w: number, workers: number): FleetDevice[] => devices.filter((d) => d.n % workers === w)

async function connectFleet(fleet: Fleet, t: Target, opts: ConnectionsOptions): Promise<Connected> {
  const replies = await Promise.all(fleet.map((worker, w) => worker.request({
    type: 'connect', url: t.url, devices: shareOf(t.devices, w, fleet.length), perSecond: opts.connectPerSecond / fleet.length,
    intervalMs: opts.heartbeatIntervalS * 1000, qos: opts.qos
  })))
  const done = replies.flatMap((r) => (r.type === 'connected' ? [r] : []))
  const firstError = done.find((r) => r.firstError !== undefined)?.firstError
  // The fleet's latency: the worst worker's p99 is an upper bound, their p50s bracket the median.
  const latency: Latency = {
    p50: median(done.map((r) => r.latency.p50)), p99: Math.max(...done.map((r) => r.latency.p99)),
    max: Math.max(...done.map((r) => r.latency.max)), count: done.reduce((n, r) => n + r.latency.count, 0)
  }
  return {
    type: 'connected', connected: done.reduce((n, r) => n + r.connected, 0), failed: done.reduce((n, r) => n + r.failed, 0),
    ms: Math.max(...done.map((r) => r.ms)), latency, ...(firstError === undefined ? {} : { firstError })
  }
}

async function fleetCounts(fleet: Fleet): Promise<Omit<Counts, 'type'>> {
  const replies = (await Promise.all(fleet.map((w) => w.request({ type: 'count' })))).flatMap((r) => (r.type === 'counts' ? [r] : []))
  const sum = (key: keyof Omit<Counts, 'type'>): number => replies.reduce((n, r) => n + r[key], 0)
  return { connected: sum('connected'), sent: sum('sent'), acked: sum('acked'), failed: sum('failed') }
}

/** CPU and heartbeats over the window; memory sampled every 5 s within it (medians). */
async function steadyWindow(fleet: Fleet, t: Target, opts: ConnectionsOptions): Promise<Pick<TargetResult, 'steady' | 'cpu' | 'heartbeats' | 'failed' | 'connectedAtEnd'>> {
  const before = await fleetCounts(fleet)
  const stopCpu = startCpuMeter({ ...t.cpu, fleet: () => fleet.map((w) => w.pid) })
  const samples: Memory[] = []
  const end = Date.now() + opts.windowMs
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, end - Date.now())))
    samples.push(await memoryOf(t))
  }
  const cpu = stopCpu()
  const after = await fleetCounts(fleet)
  return {
    steady: medianMemory(samples), cpu,
    heartbeats: after.acked - before.acked, failed: after.failed - before.failed, connectedAtEnd: after.connected
  }
}

/**
 * A few hundred devices connect, heartbeat for an interval and leave: the broker's code paths
 * are compiled and its pools allocated before its idle memory is read, so the per-device delta
 * is the fleet's, not the first connection's.
 */
async function warmUp(fleet: Fleet, t: Target, opts: ConnectionsOptions): Promise<void> {
  const devices = t.devices.slice(0, Math.min(WARMUP_DEVICES, Math.ceil(t.devices.length / 10)))
  await connectFleet(fleet, { ...t, devices }, opts)
  await sleep(opts.heartbeatIntervalS * 1000)
  await Promise.all(fleet.map((w) => w.request({ type: 'disconnect' })))
}

async function measureTarget(fleet: Fleet, t: Target, opts: ConnectionsOptions, unregistered?: Memory): Promise<TargetResult> {
  await warmUp(fleet, t, opts)
  const idle = await idleMemory(t)
  const connect = await connectFleet(fleet, t, opts)
  log(`  ${t.key.padEnd(8)} connected ${connect.connected}/${opts.devices} (${connect.failed} failed${connect.firstError === undefined ? '' : `: ${connect.firstError}`})` +
    ` in ${(connect.ms / 1000).toFixed(1)} s; CONNECT→CONNACK p50 ${fmtMs(connect.latency.p50)} p99 ${fmtMs(connect.latency.p99)}`)
  await sleep(opts.settleMs)
  const window = await steadyWindow(fleet, t, opts)
  const check = await t.check(opts.devices)
  await Promise.all(fleet.map((w) => w.request({ type: 'disconnect' })))
  const result = { connect, idle, steady: window.steady, cpu: window.cpu, heartbeats: window.heartbeats, failed: window.failed, connectedAtEnd: window.connectedAtEnd, check, ...(unregistered === undefined ? {} : { unregistered }) }
  logResult(t, result, opts)
  return result
}

function logResult(t: Target, r: TargetResult, opts: ConnectionsOptions): void {
  const n = opts.devices
  const pad = ''.padEnd(10)
  const registry = r.unregistered === undefined ? '' : `; registering the fleet added ${mib(r.idle.rss - r.unregistered.rss)} RSS (${kib((r.idle.rss - r.unregistered.rss) / n)}/device)`
  log(`${pad}RSS idle ${mib(r.idle.rss)} → ${mib(r.steady.rss)} with the fleet: ${kib((r.steady.rss - r.idle.rss) / n)}/device; ` +
    `heap used ${mib(r.idle.heapUsed)} → ${mib(r.steady.heapUsed)}: ${kib((r.steady.heapUsed - r.idle.heapUsed) / n)}/device${registry}`)
  log(`${pad}heap committed ${mib(r.idle.heapTotal)} → ${mib(r.steady.heapTotal)}: ${kib((r.steady.heapTotal - r.idle.heapTotal) / n)}/device; ` +
    `external ${mib(r.idle.external)} → ${mib(r.steady.external)}: ${kib((r.steady.external - r.idle.external) / n)}/device`)
  const brokerCpu = r.cpu[t.key === 'aedes' ? 'broker' : 'gateway'] ?? 0
  const perK = (s: number): string => `${((s * 1e6) / r.heartbeats).toFixed(0)} ms`
  log(`${pad}${r.heartbeats} heartbeats acknowledged in ${opts.windowMs / 1000} s (${r.failed} failed), ${r.connectedAtEnd} still connected; ` +
    `CPU per 1,000 heartbeats: broker ${perK(brokerCpu)}${r.cpu.postgres === undefined ? '' : `, PostgreSQL ${perK(r.cpu.postgres)}`}`)
  log(`${pad}cpu ${fmtCpu(r.cpu)}; ${r.check.note}${r.check.ok && r.connectedAtEnd === n ? '' : ' MISMATCH'}`)
}

const perDevice = (r: TargetResult, n: number): number => (r.steady.rss - r.idle.rss) / n
const cpuPerK = (r: TargetResult, party: string): number => ((r.cpu[party] ?? 0) * 1e6) / r.heartbeats

function toRows(opts: ConnectionsOptions, gw: TargetResult, aedes: TargetResult): ResultRow[] {
  const n = opts.devices
  const ok = (r: TargetResult): boolean => r.connect.connected === n && r.connectedAtEnd === n && r.check.ok
  const verified = `${ok(gw) && ok(aedes) ? `${n.toLocaleString('en-US')}/${n.toLocaleString('en-US')} connected on both` : 'MISMATCH: not every device connected'}; ${gw.check.note}`
  const benchmark = `Connections: ${n.toLocaleString('en-US')} devices heartbeating every ${opts.heartbeatIntervalS} s at QoS ${opts.qos}, ${opts.workers} client processes`
  const common = { p50Ms: gw.connect.latency.p50, p99Ms: gw.connect.latency.p99, baselineP50Ms: aedes.connect.latency.p50, baselineP99Ms: aedes.connect.latency.p99, verified }
  const memRatio = perDevice(gw, n) / perDevice(aedes, n)
  const cpuRatio = cpuPerK(gw, 'gateway') / cpuPerK(aedes, 'broker')
  return [
    { benchmark: `${benchmark}: RSS per device (lower is better; latency = CONNECT→CONNACK)`, subject: 'gateway → PostgreSQL', subjectRate: perDevice(gw, n), baseline: 'bare aedes, anonymous', baselineRate: perDevice(aedes, n), unit: 'bytes', ratio: memRatio, roundRatios: [memRatio], ...common },
    { benchmark: `${benchmark}: broker CPU per 1,000 heartbeats (lower is better)`, subject: `gateway process (PostgreSQL +${cpuPerK(gw, 'postgres').toFixed(0)} ms)`, subjectRate: cpuPerK(gw, 'gateway'), baseline: 'bare aedes', baselineRate: cpuPerK(aedes, 'broker'), unit: 'ms', ratio: cpuRatio, roundRatios: [cpuRatio], ...common }
  ]
}

const openFilesNeeded = (opts: ConnectionsOptions): number => opts.devices + OPEN_FILES_MARGIN

/**
 * Every process that holds one socket per device must be allowed that many open files. Node
 * raises its soft limit to the hard one at start, so only the hard limit (`ulimit -Hn`) can fall
 * short; the error says so before any client connects.
 */
function checkOpenFiles(pids: Record<string, number>, needed: Record<string, number>): void {
  for (const [name, pid] of Object.entries(pids)) {
    const { soft } = openFilesLimit(pid)
    if (soft < (needed[name] ?? 0)) throw new Error(`${name} (pid ${pid}) may open ${soft} files; it needs ${needed[name]}: raise the hard limit (ulimit -Hn) or lower BENCH_CONN_DEVICES / raise BENCH_CONN_WORKERS`)
  }
}

export async function benchConnections(opts: ConnectionsOptions = connectionsDefaults()): Promise<ResultRow[]> {
  log(`\n# Connections: ${opts.devices} devices over ${opts.workers} processes, connecting ${opts.connectPerSecond}/s, heartbeat every ${opts.heartbeatIntervalS} s at QoS ${opts.qos}; ` +
    `${opts.windowMs / 1000} s window after ${opts.settleMs / 1000} s settling; gateway vs bare aedes`)
  await ensureBuilt()
  const pg = await startPostgres()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pulsegate-bench-conn-'))
  const stops: Array<() => Promise<void>> = [() => pg.stop(), () => rm(dataDir, { recursive: true, force: true })]
  try {
    const dbUrl = await createDatabase(pg.url, 'bench_connections')
    const gateway = await startGatewayProcess({ name: 'gateway-connections', cpuProfDir: opts.cpuProfDir, env: { PULSEGATE_DATABASE_URL: dbUrl, PULSEGATE_DATA_DIR: dataDir } })
    stops.unshift(() => gateway.stop())
    const aedes = await startAedes()
    stops.unshift(() => aedes.worker.close())
    const fleet: Fleet = Array.from({ length: opts.workers }, (_, w) => forkWorker<FleetRequest, FleetReply>(new URL('./connections-worker.ts', import.meta.url), `fleet-${w}`))
    stops.unshift(async () => { for (const w of fleet) await w.close() })
    const share = Math.ceil(opts.devices / opts.workers) + OPEN_FILES_MARGIN
    checkOpenFiles({ gateway: gateway.pid, aedes: aedes.worker.pid, ...Object.fromEntries(fleet.map((w, i) => [`fleet-${i}`, w.pid])) },
      { gateway: openFilesNeeded(opts), aedes: openFilesNeeded(opts), ...Object.fromEntries(fleet.map((_, i) => [`fleet-${i}`, share])) })

    const anonymous = Array.from({ length: opts.devices }, (_, n) => ({ n }))
    const aedesResult = await measureTarget(fleet, aedes.target(anonymous), opts)
    const postgres = withChildren(postmasterPid(pg.dataDir))
    const unregisteredTarget = gatewayTarget(gateway.httpUrl, gateway.mqttUrl, gateway.pid, postgres, [])
    const unregistered = await idleMemory(unregisteredTarget)
    // Registered through the admin API, as an operator would: the import answers each secret.
    const secrets = await registerFleet(gateway.httpUrl, opts.devices, opts.heartbeatIntervalS)
    const devices = Array.from({ length: opts.devices }, (_, n) => ({ n, secret: secrets.get(deviceId(n)) ?? '' }))
    const gwResult = await measureTarget(fleet, { ...unregisteredTarget, devices }, opts, unregistered)
    const rows = toRows(opts, gwResult, aedesResult)
    for (const row of rows) log(`  ${row.benchmark.split(': ').pop() ?? ''}: gateway ${row.subjectRate.toFixed(0)} vs aedes ${row.baselineRate.toFixed(0)} → ${fmtRatio(row.ratio)}`)
    return rows
  } finally {
    for (const stop of stops) await stop()
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchConnections()))
}
