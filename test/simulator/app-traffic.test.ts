import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminClient } from '../../bin/commands/admin-client.js'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { runSimulation } from '../../simulator/run.js'
import { checkScenario, DEFAULT_SCENARIO } from '../../simulator/scenario.js'
import { readTruth, type Truth } from '../../simulator/truth.js'
import { testConfig } from '../support/gateway.js'

const ADMIN_KEY = 'sim-test-admin-key-0123456789'
const appsBuilt = existsSync(join(import.meta.dirname, '..', '..', 'simulator', 'apps', 'index.ts'))

/** The framework's side of app traffic: each request sent with its app's key, each answer recorded beside what was expected. */
describe.skipIf(!appsBuilt)('pulsegate simulate with app traffic', () => {
  let running: RunningGateway
  let truth: Truth
  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false', PULSEGATE_ADMIN_KEY: ADMIN_KEY }), { db: await openPglite() })
    const truthPath = join(mkdtempSync(join(tmpdir(), 'pulsegate-sim-')), 'truth.jsonl')
    await runSimulation({
      scenario: checkScenario({ ...DEFAULT_SCENARIO, seed: 3, stores: 1, tablesPerStore: 2, durationS: 8, intervalS: 2, appUsers: 10, appTimeScale: 0.01 }),
      api: adminClient({ PULSEGATE_URL: running.httpUrl, PULSEGATE_ADMIN_KEY: ADMIN_KEY }), httpUrl: running.httpUrl, mqttUrl: running.mqttUrl,
      truthPath, progress: null, onError: (err) => { throw err }
    })
    truth = readTruth(truthPath)
  }, 40_000)
  afterAll(async () => running?.stop())

  it('answers every app event as the app traffic expected, and stores each accepted one once under its app', async () => {
    const acks = truth.acks.filter((a) => a.kind === 'app')
    expect(acks.length).toBeGreaterThan(10)
    expect(acks.length).toBe(truth.sent.filter((s) => s.kind === 'app').length)
    expect(acks.filter((a) => a.status !== a.expected)).toEqual([])
    const accepted = acks.filter((a) => a.status === 'accepted')
    const { rows } = await running.gateway.services.db.query<{ app_id: string; event_id: string }>(
      `SELECT app_id, event_id FROM events WHERE app_id = ANY($1)`, [[...new Set(accepted.map((a) => a.app))]])
    expect(rows.map((r) => `${r.app_id}/${r.event_id}`).sort()).toEqual(accepted.map((a) => `${a.app}/${a.event_id}`).sort())
  })
})
