/**
 * MQTT QoS 1 heartbeats. Subject: the gateway's embedded broker, whose PUBACK leaves only once
 * the heartbeat row is committed (PostgreSQL store; the embedded PGlite store as an extra
 * row). Baseline: mosquitto forwarding the same QoS 1 messages to one subscriber, which acks
 * on receipt and stores nothing. The same 1,000 device clients, spread over worker processes,
 * drive both; rounds alternate (mosquitto, gateway, …), each on a freshly connected fleet.
 * Every device is registered on each gateway first and connects with its secret; mosquitto
 * takes them anonymously.
 *
 * The same machinery runs the QoS 0 benchmark (mqtt-qos0.ts) with `qos: 0`: there the rate is
 * what arrived — heartbeats the gateway processed, messages the subscriber got — not what was
 * acknowledged.
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
import { loginsOf, registerFleet } from './lib/device-registry.js'
import { ensureBuilt, startGatewayProcess, type GatewayProcess } from './lib/gateway-process.js'
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, log, runMain } from './lib/main.js'
import { awaitProcessed, fmtLedger, readLedger, type Ledger } from './lib/mqtt-ledger.js'
import { deviceId, forkPublisher, forkSubscriber, type Publisher, type PublisherReply, type PublisherRequest, type Subscriber } from './lib/mqtt-messages.js'
import { countRows, resetTables } from './lib/pg.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { fmtMs, fmtRate, fmtRatio, latencyOf, median, type Latency } from './lib/stats.js'

export interface MqttQos1Options {
  /** 1: the rate is PUBACKs; 0: heartbeats the gateway processed and messages the subscriber got. */
  qos: 0 | 1
  devices: number
  /** Heartbeats each device publishes per round. */
  perDevice: number
  /** A device's values (battery, latency, signal) move every that many heartbeats; 1: every one. */
  varyEvery: number
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
  qos: 1,
  devices: envInt('BENCH_MQTT_DEVICES', 1_000),
  perDevice: envInt('BENCH_MQTT_PER_DEVICE', 30),
  varyEvery: 1,
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
/**
 * QoS 0: a message not arrived after this long without any other arriving is taken as lost.
 * Long, so that a gateway stalled by other work on the machine is not mistaken for one losing messages.
 */
const IDLE_MS = 10_000
const SETTLE_TIMEOUT_MS = 30_000

interface Target {
  key: string
  label: string
  url: string
  /** The gateway's HTTP URL, for its commit metrics. */
  httpUrl?: string
  /** Device secrets on this target; none: anonymous (mosquitto). */
  secrets?: Map<string, string>
  cpu: CpuGroups
  /** Before each round: empty what the round will count. */
  reset(): Promise<void>
  /**
   * After each round: whether what arrived matches what was PUBACKed (QoS 1) or sent (QoS 0),
   * a note saying what was counted, and (QoS 0) how many arrived and when the last did.
   */
  verify(sent: number): Promise<Check>
}

interface Check { ok: boolean; note: string; arrived?: { count: number; lastAt: number } }

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
  const subscriber: Subscriber = forkSubscriber('subscriber')
  await subscriber.request({ type: 'connect', url: mosquitto.url, topic: TOPIC_FILTER, qos: opts.qos })
  const publishers: Publisher[] = Array.from({ length: opts.workers }, (_, w) => forkPublisher(`publisher-${w}`))
  const deviceIds = publishers.map((_, w) => Array.from({ length: opts.devices }, (_, n) => n).filter((n) => n % opts.workers === w).map(deviceId))
  return { publishers, subscriber, deviceIds }
}

function loadCpu(fleet: Fleet): CpuGroups {
  return { load: () => fleet.publishers.map((p) => p.pid) }
}

const baselineLabel = (qos: 0 | 1): string => `mosquitto → 1 QoS ${qos} subscriber`

function mosquittoTarget(mosquitto: MosquittoServer, fleet: Fleet, qos: 0 | 1): Target {
  const pid = mosquittoPid(mosquitto.port)
  return {
    key: 'mosquitto', label: baselineLabel(qos), url: mosquitto.url,
    cpu: { mosquitto: () => (pid === undefined ? [] : [pid]), subscriber: single(fleet.subscriber.pid), ...loadCpu(fleet) },
    reset: async () => {},
    async verify(sent) {
      const reply = await fleet.subscriber.request({ type: 'await', expected: sent, timeoutMs: SETTLE_TIMEOUT_MS, idleMs: qos === 0 ? IDLE_MS : undefined })
      const [count, lastAt] = reply.type === 'received' ? [reply.count, reply.lastAt] : [-1, Number.NaN]
      return { ok: count === sent, note: `subscriber received ${count}/${sent}`, arrived: { count, lastAt } }
    }
  }
}

/** QoS 1: every PUBACK is a stored row. QoS 0: every heartbeat sent is processed (stored or coalesced), read from the gateway's ledger. */
function gatewayPgTarget(gateway: GatewayProcess, url: string, pg: PostgresServer, fleet: Fleet, qos: 0 | 1): Target {
  let before: Ledger | undefined
  return {
    key: 'gateway-pg', label: 'gateway → PostgreSQL', url: gateway.mqttUrl, httpUrl: gateway.httpUrl,
    cpu: { gateway: single(gateway.pid), postgres: withChildren(postmasterPid(pg.dataDir)), ...loadCpu(fleet) },
    async reset() {
      await resetTables(url, ['heartbeats'])
      before = await readLedger(gateway.httpUrl)
    },
    async verify(sent) {
      if (qos === 1 || before === undefined) {
        const stored = await countRows(url, 'heartbeats')
        return { ok: stored === sent, note: `heartbeats stored ${stored}/${sent}` }
      }
      const { ledger, lastAt } = await awaitProcessed(gateway.httpUrl, before, sent, IDLE_MS, SETTLE_TIMEOUT_MS)
      const stored = await countRows(url, 'heartbeats')
      const ok = ledger.received === sent && ledger.stored + ledger.dropped + ledger.rejected === sent && stored === ledger.stored
      return { ok, note: `${fmtLedger(ledger)} of ${sent} sent; ${stored} rows`, arrived: { count: ledger.received, lastAt } }
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
  const gateways: GatewayProcess[] = [await startGatewayProcess({ name: `gateway-mqtt${opts.qos}-pg`, cpuProfDir: opts.cpuProfDir, env: { PULSEGATE_DATABASE_URL: url, PULSEGATE_DATA_DIR: dirs[0] } })]
  // QoS 0 counts from the gateway's metrics while PGlite's rows can only be counted after stop: PostgreSQL only.
  if (opts.pglite && opts.qos === 1) gateways.push(await startGatewayProcess({ name: `gateway-mqtt${opts.qos}-pglite`, cpuProfDir: opts.cpuProfDir, env: { PULSEGATE_DATA_DIR: dirs[1] } }))
  const fleet = await startFleet(opts, mosquitto)
  const pgliteAcked = { n: 0 }
  const targets = [mosquittoTarget(mosquitto, fleet, opts.qos), gatewayPgTarget(gateways[0] as GatewayProcess, url, pg, fleet, opts.qos)]
  if (gateways[1] !== undefined) targets.push(gatewayPgliteTarget(gateways[1], fleet, pgliteAcked))
  for (const t of targets) if (t.httpUrl !== undefined) t.secrets = await registerFleet(t.httpUrl, opts.devices, INTERVAL_S)
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

/**
 * Connects the fleet to `target` (with the devices' secrets there), publishes, disconnects.
 * QoS 1: the clock runs from the common start to the last PUBACK. QoS 0: to the last message
 * arrived, awaited before the fleet disconnects (a socket closed early could lose what it still holds).
 */
async function publishRound(target: Target, fleet: Fleet, opts: MqttQos1Options, perDevice: number): Promise<Omit<RoundResult, 'ok'> & { cpu: Record<string, number>; commitNote: string | undefined; check: Check | undefined }> {
  await eachPublisher(fleet, (w) => ({ type: 'connect', url: target.url, devices: loginsOf(fleet.deviceIds[w] ?? [], target.secrets) }))
  const commits = target.httpUrl === undefined ? undefined : await startCommitMeter(target.httpUrl)
  const startAt = Date.now() + 100
  const stopCpu = startCpuMeter(target.cpu)
  const replies = await eachPublisher(fleet, () => ({ type: 'publish', startAt, perDevice, window: opts.window, deadline: startAt + opts.roundTimeoutMs, intervalS: INTERVAL_S, qos: opts.qos, varyEvery: opts.varyEvery }))
  const done = replies.flatMap((r) => (r.type === 'published' ? [r] : []))
  const acked = done.reduce((n, r) => n + r.acked, 0)
  const check = opts.qos === 0 ? await target.verify(acked) : undefined
  const cpu = stopCpu()
  const commitNote = commits === undefined ? undefined : await commits()
  await eachPublisher(fleet, () => ({ type: 'disconnect' }))
  const [count, lastAt] = check?.arrived === undefined ? [acked, Math.max(...done.map((r) => r.lastAckAt))] : [check.arrived.count, check.arrived.lastAt]
  return {
    acked, failed: done.reduce((n, r) => n + r.failed, 0), cpu, commitNote, check,
    rate: count / ((lastAt - startAt) / 1000),
    latency: latencyOf(done.flatMap((r) => r.latenciesMs))
  }
}

async function runRound(target: Target, fleet: Fleet, opts: MqttQos1Options, perDevice = opts.perDevice): Promise<RoundResult> {
  await target.reset()
  const r = await publishRound(target, fleet, opts, perDevice)
  const check = r.check ?? await target.verify(r.acked)
  const verb = opts.qos === 0 ? 'sent' : 'acked'
  log(`  ${target.key.padEnd(15)} ${fmtRate(r.rate).padStart(8)} msg/s  ${r.acked} ${verb}, ${r.failed} failed; ` +
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
  // QoS 0 has no acknowledgement: publish → written is the client's own time, not worth a column.
  const latency = (rs: RoundResult[], p: 'p50' | 'p99'): number | undefined => (opts.qos === 0 ? undefined : median(rs.map((r) => r.latency[p])))
  const pace = opts.qos === 0 ? `back to back, values moving every ${opts.varyEvery === 1 ? '' : `${opts.varyEvery}th `}heartbeat` : `${opts.window} in flight each`
  return {
    benchmark: `MQTT QoS ${opts.qos} heartbeats, ${opts.devices.toLocaleString('en-US')} devices × ${opts.perDevice}/round, ${pace}, ${opts.workers} client processes`,
    subject: target.label, subjectRate, baseline: baselineLabel(opts.qos), baselineRate, unit: opts.qos === 0 ? 'msg/s processed' : 'msg/s',
    baselineUnit: opts.qos === 0 ? 'msg/s forwarded' : undefined,
    ratio: subjectRate / baselineRate,
    p50Ms: latency(rounds, 'p50'), p99Ms: latency(rounds, 'p99'),
    baselineP50Ms: latency(baseline, 'p50'), baselineP99Ms: latency(baseline, 'p99'),
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
  const counted = opts.qos === 0 ? ['processed = sent', 'MISMATCH processed vs sent'] : ['stored = PUBACKed', 'MISMATCH stored vs PUBACKed']
  return s.targets.filter((t) => t.key !== 'mosquitto').map((t) => {
    const rounds = results.get(t.key) ?? []
    const stored = t.key === 'gateway-pglite' ? pgliteNote : rounds.every((r) => r.ok) ? counted[0] : counted[1]
    return toRow(opts, t, rounds, baseline, `${stored}; ${subscriberOk}`)
  })
}

export async function benchMqttQos1(opts: MqttQos1Options = mqttQos1Defaults()): Promise<ResultRow[]> {
  log(`\n# MQTT QoS ${opts.qos}: ${opts.devices} devices over ${opts.workers} processes, ${opts.perDevice} heartbeats each per round, gateway vs mosquitto (${opts.rounds} alternating rounds)`)
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
