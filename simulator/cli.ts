import { adminClient, parseCommandArgs } from '../bin/commands/admin-client.js'
import { buildPlan } from './plan.js'
import { runSimulation } from './run.js'
import { checkScenario, DEFAULT_SCENARIO, FAULT_KINDS, loadScenarioFile, parseSeconds, ScenarioError, type FaultKind, type FaultSpec, type Scenario } from './scenario.js'

const USAGE = `Usage: pulsegate simulate [--scenario <file.yaml>] [options]

Simulates stores full of devices (and, with --app-users, apps) against a running gateway,
and writes what really happened to a ground-truth file.

Scenario (flags override the file):
  --seed <n>                 same seed, same plan (default 1)
  --stores <n> --tables <n>  stores, and tables (devices) per store (default 2 × 3)
  --duration <time>          how long to run: 90, 90s, 2m (default 60s)
  --interval <seconds>       heartbeat interval (default 5); --jitter <0..1> (default 0.1)
  --qos 0|1                  heartbeat QoS (default 1; events are always QoS 1)
  --http-devices <0..1>      share of devices heartbeating over HTTP (default 0)
  --will-devices <0..1>      share of MQTT devices with a Last Will (default 0.5)
  --events-per-minute <n>    alarm_raise / qr_scan per device per minute (default 2)
  --fault <kind>@<at>+<for>[:<target>]
                             a fault, repeatable: ${FAULT_KINDS.join(', ')}
                             (e.g. power_loss@10s+20s, store_closed@5s+30s:sim-s1)
  --fault-every <time>       a random fault this often
  --app-users <n>            simulated app users over HTTP (default 0: devices only)
  --app-time-scale <0..1>    compress the apps' flows in time (0.01: a 90-minute session in 54 s)
  --prefix <id>              prefix of store and device ids (default sim)
  --time-zone <zone>         the stores' time zone (default UTC)

Run:
  --mqtt <url>               the gateway's MQTT listener (default mqtt://127.0.0.1:1883)
  --truth <file.jsonl>       where the ground truth goes (default simulate-truth.jsonl)
  --progress-every <time>    progress line period when stderr is not a terminal (default 10s)
  --plan                     print the plan (stores, devices, faults) as JSON and exit

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY. The README's "Simulator" section describes the truth file.`

const OPTIONS = {
  scenario: { type: 'string' }, seed: { type: 'string' }, stores: { type: 'string' }, tables: { type: 'string' }, duration: { type: 'string' },
  interval: { type: 'string' }, jitter: { type: 'string' }, qos: { type: 'string' }, 'http-devices': { type: 'string' }, 'will-devices': { type: 'string' },
  'events-per-minute': { type: 'string' }, fault: { type: 'string', multiple: true }, 'fault-every': { type: 'string' }, 'app-users': { type: 'string' }, 'app-time-scale': { type: 'string' },
  prefix: { type: 'string' }, 'time-zone': { type: 'string' }, mqtt: { type: 'string' }, truth: { type: 'string' }, 'progress-every': { type: 'string' },
  plan: { type: 'boolean' }, help: { type: 'boolean' }
} as const

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string }

/** `pulsegate simulate …`: returns the exit code (0 done, 1 refused or unreachable, 2 usage or bad scenario). */
export async function simulateCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommandArgs('simulate', args, OPTIONS, USAGE, out)
  if (parsed === undefined) return 2
  const values = parsed.values as Values
  if (values.help === true) { out.write(USAGE + '\n'); return 0 }
  let scenario: Scenario
  try {
    scenario = await scenarioFrom(values)
    buildPlan(scenario) // a fault target that names no device or store is a usage error too
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e
    out.write(`pulsegate simulate: ${e.message}\n`)
    return 2
  }
  if (values.plan === true) {
    out.write(JSON.stringify(buildPlan(scenario), null, 2) + '\n')
    return 0
  }
  const truthPath = values.truth ?? 'simulate-truth.jsonl'
  const abort = new AbortController()
  const onSignal = (): void => abort.abort()
  process.once('SIGINT', onSignal)
  try {
    const summary = await runSimulation({
      scenario, api: adminClient(env), httpUrl: (env.PULSEGATE_URL ?? `http://127.0.0.1:${env.PULSEGATE_HTTP_PORT ?? '8080'}`).replace(/\/+$/, ''),
      mqttUrl: values.mqtt ?? 'mqtt://127.0.0.1:1883', truthPath, progress: err, progressEveryMs: (parseSeconds(values['progress-every'] ?? '10') ?? 10) * 1000,
      signal: abort.signal, onError: (e) => err.write(`pulsegate simulate: ${e.message}\n`)
    })
    out.write(`ran ${Math.round((summary.endedAt - summary.startedAt) / 1000)} s: ${summary.plan.devices.length} devices, ${summary.plan.faults.length} faults; ground truth in ${truthPath}\n`)
    return 0
  } catch (e) {
    out.write(`pulsegate simulate: ${(e as Error).message}\n`)
    return 1
  } finally {
    process.removeListener('SIGINT', onSignal)
  }
}

/** The scenario: the file's (or the defaults), then each flag given. */
export async function scenarioFrom(v: Values): Promise<Scenario> {
  const base = v.scenario === undefined ? DEFAULT_SCENARIO : await loadScenarioFile(v.scenario)
  const num = (flag: keyof Values, fallback: number, check: (n: number) => boolean = (n) => n >= 0): number => {
    const text = v[flag]
    if (text === undefined) return fallback
    const n = Number(text)
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new ScenarioError(`--${flag}: ${JSON.stringify(text)} is not a valid value`)
    return n
  }
  const secs = (flag: 'duration' | 'fault-every', fallback: number | null): number | null => {
    if (v[flag] === undefined) return fallback
    const n = parseSeconds(v[flag])
    if (n === null) throw new ScenarioError(`--${flag}: ${JSON.stringify(v[flag])} is not a time (90, 90s, 2m)`)
    return n
  }
  const share = (n: number): boolean => n >= 0 && n <= 1
  const qos = num('qos', base.qos, (n) => n === 0 || n === 1) as 0 | 1
  return checkScenario({
    ...base,
    seed: num('seed', base.seed, Number.isInteger), stores: num('stores', base.stores, (n) => Number.isInteger(n) && n >= 1), tablesPerStore: num('tables', base.tablesPerStore, (n) => Number.isInteger(n) && n >= 1),
    durationS: secs('duration', base.durationS) as number, intervalS: num('interval', base.intervalS, (n) => Number.isInteger(n) && n >= 1), jitter: num('jitter', base.jitter, share), qos,
    httpDevices: num('http-devices', base.httpDevices, share), willDevices: num('will-devices', base.willDevices, share), eventsPerMinute: num('events-per-minute', base.eventsPerMinute),
    faults: v.fault === undefined ? base.faults : v.fault.map(parseFault), faultEveryS: secs('fault-every', base.faultEveryS), appUsers: num('app-users', base.appUsers, Number.isInteger),
    appTimeScale: num('app-time-scale', base.appTimeScale, (n) => n > 0 && n <= 1),
    prefix: v.prefix ?? base.prefix, timeZone: v['time-zone'] ?? base.timeZone
  })
}

/** `power_loss@10s+20s` or `store_closed@5s+30s:sim-s1`. */
export function parseFault(text: string): FaultSpec {
  const m = /^([a-z_]+)@([^+]+)\+([^:]+)(?::(.+))?$/.exec(text)
  const kind = m?.[1] as FaultKind | undefined
  const atS = m === null ? null : parseSeconds(m[2] as string)
  const durationS = m === null ? null : parseSeconds(m[3] as string)
  if (m === null || kind === undefined || !FAULT_KINDS.includes(kind) || atS === null || durationS === null) {
    throw new ScenarioError(`--fault: ${JSON.stringify(text)} is not <kind>@<at>+<for>[:<target>] with kind one of ${FAULT_KINDS.join(', ')}`)
  }
  return { kind, atS, durationS, ...(m[4] === undefined ? {} : { target: m[4] }) }
}
