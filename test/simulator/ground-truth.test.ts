import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminClient } from '../../bin/commands/admin-client.js'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { runSimulation, httpDevicesApp, type RunSummary } from '../../simulator/run.js'
import { checkScenario, DEFAULT_SCENARIO, type Scenario } from '../../simulator/scenario.js'
import { ackedDeviceEvents, ackedHeartbeats, countBy, missingTransitions, readTruth, type StoredTransition, type Truth } from '../../simulator/truth.js'
import { testConfig } from '../support/gateway.js'

const ADMIN_KEY = 'sim-test-admin-key-0123456789'

/**
 * A short run (12 devices, 1 s heartbeats, 20 s) against a gateway that admits registered
 * devices only, with one fault of each kind, then PulseGate's stored rows against the truth.
 */
const scenario: Scenario = checkScenario({
  ...DEFAULT_SCENARIO, seed: 5, stores: 3, tablesPerStore: 4, durationS: 20, intervalS: 1, httpDevices: 0.15, eventsPerMinute: 20,
  faults: [
    { kind: 'power_loss', atS: 3, durationS: 7 },
    // Back to back with the store_network below, on one device: its reconnect at 8 s races the
    // store's cut (regression: the cut found no connection yet and the device kept running).
    { kind: 'will', atS: 4, durationS: 4, target: 'sim-s1-t01' },
    { kind: 'disconnect', atS: 5, durationS: 6 },
    { kind: 'store_closed', atS: 6, durationS: 8 },
    { kind: 'store_network', atS: 8, durationS: 7, target: 'sim-s1' },
    { kind: 'flapping', atS: 9, durationS: 9 }
  ]
})

describe('pulsegate simulate against a running gateway', () => {
  let running: RunningGateway
  let summary: RunSummary
  let truth: Truth
  const db = () => running.gateway.services.db

  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false', PULSEGATE_ADMIN_KEY: ADMIN_KEY }), { db: await openPglite() })
    const truthPath = join(mkdtempSync(join(tmpdir(), 'pulsegate-sim-')), 'truth.jsonl')
    summary = await runSimulation({
      scenario, api: adminClient({ PULSEGATE_URL: running.httpUrl, PULSEGATE_ADMIN_KEY: ADMIN_KEY }), httpUrl: running.httpUrl, mqttUrl: running.mqttUrl,
      truthPath, progress: null, onError: (err) => { throw err }
    })
    // Transitions are stored after the presence change, off the heartbeat path.
    await new Promise((r) => setTimeout(r, 500))
    truth = readTruth(truthPath)
  }, 60_000)
  afterAll(async () => running?.stop())

  it('writes the scenario, every device and every fault with its start and end', () => {
    expect(truth.scenario.scenario).toEqual(JSON.parse(JSON.stringify(scenario)))
    expect(truth.devices.map((d) => d.device_id)).toEqual(summary.plan.devices.map((d) => d.id))
    expect(truth.devices.some((d) => d.transport === 'http')).toBe(true)
    expect(truth.faults.map((f) => f.kind).sort()).toEqual(scenario.faults.map((f) => f.kind).sort())
    for (const f of truth.faults) {
      const planned = summary.plan.faults.find((p) => p.id === f.id)
      // Timers may fire a millisecond early by Date.now().
      expect(f.start - truth.scenario.started_at).toBeGreaterThanOrEqual((planned?.startMs ?? NaN) - 20)
      expect(f.end - f.start).toBeGreaterThanOrEqual((planned?.endMs ?? NaN) - (planned?.startMs ?? NaN) - 20)
    }
  })

  it('sends nothing from a device while a fault holds it', () => {
    const held = truth.faults.filter((f) => f.kind !== 'flapping').flatMap((f) => f.targets.map((id) => ({ id, from: f.start + 50, to: f.end - 50, fault: f.id })))
    const during = truth.sent.filter((s) => held.some((h) => h.id === s.device_id && s.at > h.from && s.at < h.to))
    expect(during).toEqual([])
  })

  it('stores every acknowledged QoS 1 heartbeat exactly once, and nothing that was not sent', async () => {
    const { rows } = await db().query<{ device_id: string; device_time: Date }>(`SELECT device_id, device_time FROM heartbeats WHERE source = 'mqtt'`)
    const stored = countBy(rows, (r) => `${r.device_id}@${r.device_time.getTime()}`)
    const acked = ackedHeartbeats(truth)
    expect(acked.length).toBeGreaterThan(100)
    expect(acked.filter((a) => stored.get(`${a.deviceId}@${a.ts}`) !== 1)).toEqual([])
    const sent = new Set(truth.sent.filter((s) => s.kind === 'heartbeat').map((s) => `${s.device_id}@${s.ts}`))
    expect([...stored.keys()].filter((k) => !sent.has(k))).toEqual([])
  })

  it('stores every HTTP heartbeat it accepted once, under the devices\' HTTP app', async () => {
    const accepted = truth.acks.filter((a) => a.kind === 'heartbeat' && a.ack === 'http')
    expect(accepted.length).toBeGreaterThan(0)
    expect(accepted.filter((a) => a.status !== 'accepted')).toEqual([])
    const { rows } = await db().query<{ event_id: string }>(`SELECT event_id FROM events WHERE app_id = $1 AND event_name = 'heartbeat_receive'`, [httpDevicesApp(scenario)])
    expect(rows.map((r) => r.event_id).sort()).toEqual(accepted.map((a) => a.event_id).sort())
  })

  it('stores every acknowledged device event once, by event_id', async () => {
    const acked = ackedDeviceEvents(truth)
    expect(acked.length).toBeGreaterThan(5)
    const { rows } = await db().query<{ event_id: string; n: number }>(
      `SELECT event_id, count(*)::int AS n FROM events WHERE app_id = 'devices' AND event_name IN ('alarm_raise', 'qr_scan') GROUP BY event_id`)
    const stored = new Map(rows.map((r) => [r.event_id, r.n]))
    expect(acked.filter((id) => stored.get(id) !== 1)).toEqual([])
  })

  it('shows each expected presence transition as a device_online / device_offline event with its reason, in its window', async () => {
    const { rows } = await db().query<{ device_id: string; event_name: string; reason: string; event_time: Date }>(
      `SELECT device_id, event_name, properties->>'reason' AS reason, event_time FROM events WHERE app_id = 'devices' AND event_name IN ('device_online', 'device_offline') ORDER BY event_time`)
    const stored: StoredTransition[] = rows.map((r) => ({ deviceId: r.device_id, state: r.event_name === 'device_online' ? 'online' : 'offline', reason: r.reason, at: r.event_time.getTime() }))
    const reasons = new Set(truth.transitions.map((t) => `${t.state}:${t.reason}`))
    expect([...reasons].sort()).toEqual(['offline:closed', 'offline:heartbeat_timeout', 'offline:will', 'online:first_heartbeat'])
    // Each miss with what was stored for its device, to tell a late transition from a wrong one.
    expect(missingTransitions(truth, stored).map((m) => ({ ...m, stored: stored.filter((x) => x.deviceId === m.device_id) }))).toEqual([])
    // Devices no fault touched came online once and stayed so.
    const faulted = new Set(truth.faults.flatMap((f) => f.targets))
    const calm = stored.filter((s) => !faulted.has(s.deviceId))
    expect(calm.map((s) => `${s.state}:${s.reason}`)).toEqual(calm.map(() => 'online:first_heartbeat'))
    expect(calm).toHaveLength(truth.devices.length - faulted.size)
  })
})
