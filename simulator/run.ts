import type { AdminClient } from '../bin/commands/admin-client.js'
import { loadAppTraffic, sendAppRequest, type AppTraffic } from './app-requests.js'
import { createMqttDevice, type DeviceDeps, type SimDevice } from './device.js'
import { createFaultRunner } from './faults.js'
import { createHttpDevice } from './http-device.js'
import { buildPlan, type Plan } from './plan.js'
import { startProgress } from './progress.js'
import { createRandom } from './random.js'
import type { Scenario } from './scenario.js'
import { closeStores, register } from './setup.js'
import { createTruthWriter, type TruthWriter } from './truth-writer.js'

export interface RunOptions {
  scenario: Scenario
  api: AdminClient
  /** The gateway's HTTP base URL (HTTP heartbeats, app traffic). */
  httpUrl: string
  mqttUrl: string
  /** Where the ground truth goes (JSONL); null: nowhere. */
  truthPath: string | null
  /** Where the progress line goes; null: no progress. */
  progress: NodeJS.WritableStream | null
  /** Plain progress lines (not a TTY) this often. */
  progressEveryMs?: number
  /** Aborting ends the run early, as cleanly as its natural end. */
  signal?: AbortSignal
  onError?(err: Error): void
}

export interface RunSummary { plan: Plan; startedAt: number; endedAt: number; counts: Record<string, number> }

/** The app id of devices that heartbeat over HTTP. */
export const httpDevicesApp = (s: Scenario): string => `${s.prefix}-devices`

/**
 * One simulation against a running gateway: plan, register, run for the scenario's duration
 * with its faults, then stop every device cleanly and close the ground truth.
 */
export async function runSimulation(o: RunOptions): Promise<RunSummary> {
  const plan = buildPlan(o.scenario)
  const s = plan.scenario
  const onError = o.onError ?? (() => {})
  const apps = s.appUsers > 0 ? await loadAppTraffic({ seed: s.seed, stores: plan.stores, tablesPerStore: s.tablesPerStore, users: s.appUsers, startAt: Date.now(), timeZone: s.timeZone, shares: s.appShares, timeScale: s.appTimeScale }) : null
  const hasHttpDevices = plan.devices.some((d) => d.transport === 'http')
  const reg = await register(o.api, plan, [...(hasHttpDevices ? [httpDevicesApp(s)] : []), ...(apps?.apps ?? [])])
  const truth = createTruthWriter(o.truthPath)
  const devices = createDevices(plan, o, truth, reg.secrets, reg.writeKeys.get(httpDevicesApp(s)) ?? '', onError)
  const startedAt = Date.now()
  await closeStores(o.api, plan, startedAt)
  truth.write({ type: 'scenario', scenario: s, started_at: startedAt })
  for (const d of plan.devices) truth.write({ type: 'device', device_id: d.id, store_id: d.store, table_id: d.table, interval_s: d.intervalS, transport: d.transport, will: d.will, qos: d.qos })

  await Promise.all(devices.map((d) => d.start()))
  const faults = createFaultRunner(plan, devices, truth, startedAt, onError)
  const stopApps = apps === null ? () => Promise.resolve() : runApps(apps, o.httpUrl, reg.writeKeys, truth, onError)
  const stopProgress = o.progress === null ? () => {} : startProgress(o.progress, { startedAt, durationS: s.durationS, devices, counts: truth.counts, activeFaults: faults.active }, o.progressEveryMs ?? 10_000)

  await sleep(startedAt + s.durationS * 1000 - Date.now(), o.signal)
  faults.stop()
  await stopApps()
  await Promise.all(devices.map((d) => d.stop().catch(onError)))
  // HTTP heartbeats still in flight record their answers before the truth closes.
  await sleep(300)
  stopProgress()
  const endedAt = Date.now()
  truth.write({ type: 'summary', ended_at: endedAt, counts: { ...truth.counts } })
  await truth.close()
  return { plan, startedAt, endedAt, counts: { ...truth.counts } }
}

function createDevices(plan: Plan, o: RunOptions, truth: TruthWriter, secrets: Map<string, string>, httpKey: string, onError: (err: Error) => void): SimDevice[] {
  const s = plan.scenario
  const token = Date.now().toString(36)
  return plan.devices.map((d, i) => {
    const deps: DeviceDeps = { truth, random: createRandom(s.seed * 7919 + i + 1), jitter: s.jitter, eventChance: s.eventsPerMinute * d.intervalS / 60, runToken: token, onError }
    if (d.transport === 'http') return createHttpDevice(d, { baseUrl: o.httpUrl, writeKey: httpKey }, deps)
    const secret = secrets.get(d.id)
    if (secret === undefined) throw new Error(`no secret for device ${d.id}: the import did not return it`)
    return createMqttDevice(d, secret, o.mqttUrl, deps)
  })
}

/**
 * Polls the app traffic four times a second and posts what is due, one request at a time in
 * the order given: simulator/apps expects a resent event to reach the gateway after its first
 * copy. Returns a stop that waits for the queue to drain.
 */
function runApps(apps: AppTraffic, httpUrl: string, keys: Map<string, string>, truth: TruthWriter, onError: (err: Error) => void): () => Promise<void> {
  let queue = Promise.resolve()
  const timer = setInterval(() => {
    for (const req of apps.next(Date.now())) {
      queue = queue.then(() => sendAppRequest(req, { baseUrl: httpUrl, writeKey: keys.get(req.app) ?? '' }, truth)).catch(onError)
    }
  }, 250)
  return async () => {
    clearInterval(timer)
    await queue
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const timer = setTimeout(done, Math.max(0, ms))
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
