/**
 * MQTT QoS 1 heartbeats. Subject: the gateway's embedded broker, whose PUBACK leaves only once
 * the heartbeat row is committed (PostgreSQL store; the embedded PGlite store as an extra
 * row). Baseline: mosquitto forwarding the same QoS 1 messages to one subscriber, which acks
 * on receipt and stores nothing. The same 1,000 device clients, spread over worker processes,
 * drive both; rounds alternate (mosquitto, gateway, …), each on a freshly connected fleet.
 *
 * Alone: `node --import tsx bench/mqtt-qos1.ts` (BENCH_ROUNDS, BENCH_MQTT_PER_DEVICE,
 * BENCH_MQTT_DEVICES, BENCH_MQTT_WORKERS, BENCH_MQTT_PGLITE=0 to skip PGlite, BENCH_CPU_PROF=dir).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openPglite } from '../processors/db/pglite.js'
import { createDatabase, startMosquitto, startPostgres, type MosquittoServer, type PostgresServer } from '../test/support/services.js'
import { startCommitMeter } from './lib/commit-stats.js'
import { fmtCpu, mosquittoPid, postmasterPid, single, startCpuMeter, withChildren, type CpuGroups } from './lib/cpu.js'
import { ensureBuilt, startGatewayProcess, type GatewayProcess } from './lib/gateway-process.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { deviceId, type PublisherReply, type PublisherRequest, type SubscriberReply, type SubscriberRequest } from './lib/mqtt-messages.js'
import { countRows, resetTables } from './lib/pg.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRate, fmtRatio, latencyOf, median, type Latency } from './lib/stats.js'
import { forkWorker, type Worker } from './lib/worker-ipc.js'

export interface MqttQos1Options {
  devices: number
  /** Heartbeats each device publishes per round. */
  perDevice: number
  /** Heartbeats a device has awaiting PUBACK at once. */
  window: number
  /** Publisher processes the devices are spread over (open files are capped per process). */
  workers: number
  rounds: number
  roundTimeoutMs: number
  /** Also measure the gateway on its embedded PGlite store. */
  pglite: boolean
  cpuProfDir?: string | undefined
}

export const mqttQos1Defaults = (): MqttQos1Options => ({
  devices: envInt('BENCH_MQTT_DEVICES', 1_000),
  perDevice: envInt('BENCH_MQTT_PER_DEVICE', 30),
  window: 1,
  workers: envInt('BENCH_MQTT_WORKERS', 2),
  rounds: envInt('BENCH_ROUNDS', 3),
  roundTimeoutMs: 60_000,
  pglite: process.env.BENCH_MQTT_PGLITE !== '0',
  cpuProfDir: process.env.BENCH_CPU_PROF
})

/**
 * Presence marks a device offline after 3 missed intervals and writes a transition event.
 * A long interval keeps the fleet online across the other targets' rounds, so no round pays
 * for 1,000 offline/online transitions the others do not.
 */
const INTERVAL_S = 60
const WARMUP_PER_DEVICE = 2
const TOPIC_FILTER = 'devices/+/heartbeat'

type Publisher = Worker<PublisherRequest, PublisherReply>
type Subscriber = Worker<SubscriberRequest, SubscriberReply>

interface Target {
  key: string
  label: string
  url: string
  /** The gateway's HTTP URL, for its commit metrics. */
  httpUrl?: string
  cpu: CpuGroups
  /** Before each round: empty what the round will count. */
  reset(): Promise<void>
  /** After each round: whether what arrived matches the PUBACKs, and a note saying what was counted. */
  verify(acked: number): Promise<{ ok: boolean; note: string }>
}

interface RoundResult { rate: number; acked: number; failed: number; latency: Latency; ok: boolean }

interface Fleet { publishers: Publisher[]; subscriber: Subscriber; deviceIds: string[][] }

interface Setup {
  targets: Target[]
  fleet: Fleet
  /** The PostgreSQL gateway's database. */
  pgUrl: string
  pgliteDataDir: string | undefined
  /** PUBACKs the PGlite gateway sent over all rounds, checked against its rows after stop. */
  pgliteAcked: { n: number }
  stopGateways(): Promise<void>
  stop(): Promise<void>
}

async function startFleet(opts: MqttQos1Options, mosquitto: MosquittoServer): Promise<Fleet> {
  const subscriber: Subscriber = forkWorker(new URL('./mqtt-subscriber-worker.ts', import.meta.url), 'subscriber')
  await subscriber.request({ type: 'connect', url: mosquitto.url, topic: TOPIC_FILTER })
  const publishers: Publisher[] = Array.from({ length: opts.workers }, (_, w) => forkWorker(new URL('./mqtt-publisher-worker.ts', import.meta.url), `publisher-${w}`))
  const deviceIds = publishers.map((_, w) => Array.from({ length: opts.devices }, (_, n) => n).filter((n) => n % opts.workers === w).map(deviceId))
  return { publishers, subscriber, deviceIds }
}

function loadCpu(fleet: Fleet): CpuGroups {
  return { load: () => fleet.publishers.map((p) => p.pid) }
}

function mosquittoTarget(mosquitto: MosquittoServer, fleet: Fleet): Target {
  const pid = mosquittoPid(mosquitto.port)
  return {
    key: 'mosquitto', label: 'mosquitto → 1 QoS 1 subscriber', url: mosquitto.url,
    cpu: { mosquitto: () => (pid === undefined ? [] : [pid]), subscriber: single(fleet.subscriber.pid), ...loadCpu(fleet) },
    reset: async () => {},
    async verify(acked) {
      const reply = await fleet.subscriber.request({ type: 'await', expected: acked, timeoutMs: 30_000 })
      const count = reply.type === 'received' ? reply.count : -1
      return { ok: count === acked, note: `subscriber received ${count}/${acked}` }
    }
  }
}

function gatewayPgTarget(gateway: GatewayProcess, url: string, pg: PostgresServer, fleet: Fleet): Target {
  return {
    key: 'gateway-pg', label: 'gateway → PostgreSQL', url: gateway.mqttUrl, httpUrl: gateway.httpUrl,
    cpu: { gateway: single(gateway.pid), postgres: withChildren(postmasterPid(pg.dataDir)), ...loadCpu(fleet) },
    reset: () => resetTables(url, ['heartbeats']),
    async verify(acked) {
      const stored = await countRows(url, 'heartbeats')
      return { ok: stored === acked, note: `heartbeats stored ${stored}/${acked}` }
    }
  }
}

/** PGlite's directory is the gateway's alone while it runs: its rows are counted after stop. */
function gatewayPgliteTarget(gateway: GatewayProcess, fleet: Fleet, acked: { n: number }): Target {
  return {
    key: 'gateway-pglite', label: 'gateway → PGlite (embedded)', url: gateway.mqttUrl, httpUrl: gateway.httpUrl,
    cpu: { gateway: single(gateway.pid), ...loadCpu(fleet) },
    reset: async () => {},
    verify: async (n) => { acked.n += n; return { ok: true, note: 'counted after stop' } }
  }
}

async function setUp(opts: MqttQos1Options): Promise<Setup> {
  await ensureBuilt()
  const pg = await startPostgres()
  const mosquitto = await startMosquitto()
  const dirs = [await mkdtemp(path.join(os.tmpdir(), 'pulsegate-bench-mqtt-')), await mkdtemp(path.join(os.tmpdir(), 'pulsegate-bench-pglite-'))] as const
  const url = await createDatabase(pg.url, 'bench_mqtt')
  const gateways: GatewayProcess[] = [await startGatewayProcess({ name: 'gateway-mqtt-pg', cpuProfDir: opts.cpuProfDir, env: { PULSEGATE_DATABASE_URL: url, PULSEGATE_DATA_DIR: dirs[0], PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'true' } })]
  if (opts.pglite) gateways.push(await startGatewayProcess({ name: 'gateway-mqtt-pglite', cpuProfDir: opts.cpuProfDir, env: { PULSEGATE_DATA_DIR: dirs[1], PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'true' } }))
  const fleet = await startFleet(opts, mosquitto)
  const pgliteAcked = { n: 0 }
  const targets = [mosquittoTarget(mosquitto, fleet), gatewayPgTarget(gateways[0] as GatewayProcess, url, pg, fleet)]
  if (gateways[1] !== undefined) targets.push(gatewayPgliteTarget(gateways[1], fleet, pgliteAcked))
  const stopGateways = async (): Promise<void> => { for (const g of gateways) await g.stop() }
  const stop = async (): Promise<void> => {
    for (const w of [...fleet.publishers, fleet.subscriber]) await w.close()
    await stopGateways()
    await mosquitto.stop()
    await pg.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  }
  return { targets, fleet, pgUrl: url, pgliteDataDir: opts.pglite ? dirs[1] : undefined, pgliteAcked, stop, stopGateways }
}

async function eachPublisher(fleet: Fleet, msg: (w: number) => PublisherRequest): Promise<PublisherReply[]> {
  return Promise.all(fleet.publishers.map((p, w) => p.request(msg(w))))
}

/** Connects the fleet to `target`, publishes, disconnects; the clock runs from the common start to the last PUBACK. */
async function publishRound(target: Target, fleet: Fleet, opts: MqttQos1Options, perDevice: number): Promise<Omit<RoundResult, 'ok'> & { cpu: Record<string, number>; commitNote: string | undefined }> {
  await eachPublisher(fleet, (w) => ({ type: 'connect', url: target.url, deviceIds: fleet.deviceIds[w] ?? [] }))
  const commits = target.httpUrl === undefined ? undefined : await startCommitMeter(target.httpUrl)
  const startAt = Date.now() + 100
  const stopCpu = startCpuMeter(target.cpu)
  const replies = await eachPublisher(fleet, () => ({ type: 'publish', startAt, perDevice, window: opts.window, deadline: startAt + opts.roundTimeoutMs, intervalS: INTERVAL_S }))
  const cpu = stopCpu()
  const commitNote = commits === undefined ? undefined : await commits()
  await eachPublisher(fleet, () => ({ type: 'disconnect' }))
  const done = replies.flatMap((r) => (r.type === 'published' ? [r] : []))
  const acked = done.reduce((n, r) => n + r.acked, 0)
  const lastAck = Math.max(...done.map((r) => r.lastAckAt))
  return {
    acked, failed: done.reduce((n, r) => n + r.failed, 0), cpu, commitNote,
    rate: acked / ((lastAck - startAt) / 1000),
    latency: latencyOf(done.flatMap((r) => r.latenciesMs))
  }
}

async function runRound(target: Target, fleet: Fleet, opts: MqttQos1Options, perDevice = opts.perDevice): Promise<RoundResult> {
  await target.reset()
  const r = await publishRound(target, fleet, opts, perDevice)
  const check = await target.verify(r.acked)
  log(`  ${target.key.padEnd(15)} ${fmtRate(r.rate).padStart(8)} msg/s  ${r.acked} acked, ${r.failed} failed; ` +
    `p50 ${fmtMs(r.latency.p50)} p99 ${fmtMs(r.latency.p99)}; ${check.note}${check.ok ? '' : ' MISMATCH'}`)
  log(`  ${''.padEnd(15)} cpu ${fmtCpu(r.cpu)}${r.commitNote === undefined ? '' : `; ${r.commitNote}`}`)
  return { ...r, ok: check.ok }
}

/** Heartbeats the PGlite gateway committed, read from its directory once it has stopped. */
async function pgliteStored(dataDir: string): Promise<number> {
  const db = await openPglite(path.join(dataDir, 'pglite'))
  try {
    const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM heartbeats')
    return res.rows[0]?.n ?? 0
  } finally {
    await db.close()
  }
}

function toRow(opts: MqttQos1Options, target: Target, rounds: RoundResult[], baseline: RoundResult[], verified: string): ResultRow {
  const subjectRate = median(rounds.map((r) => r.rate))
  const baselineRate = median(baseline.map((r) => r.rate))
  return {
    benchmark: `MQTT QoS 1 heartbeats, ${opts.devices.toLocaleString('en-US')} devices × ${opts.perDevice}/round, ${opts.window} in flight each, ${opts.workers} client processes`,
    subject: target.label, subjectRate, baseline: 'mosquitto → 1 QoS 1 subscriber', baselineRate, unit: 'msg/s',
    ratio: subjectRate / baselineRate,
    p50Ms: median(rounds.map((r) => r.latency.p50)), p99Ms: median(rounds.map((r) => r.latency.p99)),
    baselineP50Ms: median(baseline.map((r) => r.latency.p50)), baselineP99Ms: median(baseline.map((r) => r.latency.p99)),
    roundRatios: rounds.map((r, i) => r.rate / (baseline[i]?.rate ?? Number.NaN)),
    verified
  }
}

async function measure(s: Setup, opts: MqttQos1Options): Promise<Map<string, RoundResult[]>> {
  log('warm-up')
  for (const t of s.targets) await runRound(t, s.fleet, opts, WARMUP_PER_DEVICE)
  const results = new Map<string, RoundResult[]>(s.targets.map((t) => [t.key, []]))
  for (let r = 1; r <= opts.rounds; r++) {
    log(`round ${r}/${opts.rounds}`)
    for (const t of s.targets) results.get(t.key)?.push(await runRound(t, s.fleet, opts))
  }
  return results
}

function rowsOf(s: Setup, opts: MqttQos1Options, results: Map<string, RoundResult[]>, pgliteNote: string): ResultRow[] {
  const baseline = results.get('mosquitto') ?? []
  const subscriberOk = baseline.every((r) => r.ok) ? 'subscriber got all' : 'subscriber MISSED some'
  return s.targets.filter((t) => t.key !== 'mosquitto').map((t) => {
    const rounds = results.get(t.key) ?? []
    const stored = t.key === 'gateway-pglite' ? pgliteNote : rounds.every((r) => r.ok) ? 'stored = PUBACKed' : 'MISMATCH stored vs PUBACKed'
    return toRow(opts, t, rounds, baseline, `${stored}; ${subscriberOk}`)
  })
}

export async function benchMqttQos1(opts: MqttQos1Options = mqttQos1Defaults()): Promise<ResultRow[]> {
  log(`\n# MQTT QoS 1: ${opts.devices} devices over ${opts.workers} processes, ${opts.perDevice} heartbeats each per round, gateway vs mosquitto (${opts.rounds} alternating rounds)`)
  const s = await setUp(opts)
  try {
    const results = await measure(s, opts)
    // Each device's first heartbeat made it online: one presence event per device, no more.
    const online = await countRows(s.pgUrl, 'events', "event_name = 'device_online'")
    log(`  gateway-pg presence: ${online} device_online events for ${opts.devices} devices${online === opts.devices ? '' : ' MISMATCH'}`)
    await s.stopGateways()
    let pgliteNote = ''
    if (s.pgliteDataDir !== undefined) {
      const stored = await pgliteStored(s.pgliteDataDir)
      pgliteNote = stored === s.pgliteAcked.n ? 'stored = PUBACKed' : `MISMATCH stored ${stored} vs PUBACKed ${s.pgliteAcked.n}`
      log(`  gateway-pglite heartbeats stored ${stored}/${s.pgliteAcked.n} (all rounds, warm-up included)`)
    }
    const rows = rowsOf(s, opts, results, pgliteNote)
    for (const row of rows) log(`  ${row.subject}: ratio ${fmtRatio(row.ratio)} (rounds ${row.roundRatios.map(fmtRatio).join(', ')})`)
    return rows
  } finally {
    await s.stop()
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchMqttQos1()))
}
