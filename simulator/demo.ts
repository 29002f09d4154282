import type { Logger } from 'pino'
import { adminClient } from '../bin/commands/admin-client.js'
import type { RunningGateway } from '../gateway/listen.js'
import { runSimulation } from './run.js'
import { checkScenario, DEFAULT_SCENARIO, type Scenario } from './scenario.js'

/** The demo: 2 stores × 3 tables, a heartbeat every 5 s, a fault every 30 s, for six hours. */
export const DEMO_SCENARIO: Scenario = checkScenario({
  ...DEFAULT_SCENARIO, seed: 2026, prefix: 'demo', stores: 2, tablesPerStore: 3, durationS: 6 * 3600, intervalS: 5, eventsPerMinute: 1, faultEveryS: 30
})

export interface Demo {
  /** The gateway, whose `stop()` first ends the simulation and revokes the demo's keys. */
  running: RunningGateway
  /** Banner lines: where to look. */
  lines: string[]
}

/**
 * `pulsegate start --demo`: the embedded gateway plus a small simulation in the same process,
 * so a newcomer sees devices, transitions and metrics at once. It registers its devices with an
 * admin key of its own (no anonymous MQTT needed) and shows a read key for `/v1/devices`; both
 * keys are revoked when the gateway stops.
 */
export async function startDemo(running: RunningGateway): Promise<Demo> {
  // Against an external broker the devices would need accounts there (README "External MQTT broker").
  if (running.gateway.broker === null) return { running, lines: ['', '  DEMO       not run: it needs the embedded MQTT broker (PULSEGATE_MQTT_URL is set)', ''] }
  const { keys, log } = running.gateway.services
  const admin = await keys.create({ kind: 'admin', appId: null, name: 'pulsegate start --demo' }, 'system')
  const read = await keys.create({ kind: 'read', appId: null, name: 'pulsegate start --demo' }, 'system')
  const abort = new AbortController()
  const simLog: Logger = log.child({ component: 'demo' })
  const done = runSimulation({
    scenario: DEMO_SCENARIO, api: adminClient({ PULSEGATE_URL: running.httpUrl, PULSEGATE_ADMIN_KEY: admin.secret }), httpUrl: running.httpUrl,
    mqttUrl: running.mqttUrl, truthPath: null, progress: null, signal: abort.signal, onError: (err) => simLog.warn({ err }, 'demo simulation')
  }).catch((err: Error) => simLog.error({ err }, 'demo simulation stopped'))
  const stop = async (): Promise<void> => {
    abort.abort()
    await done
    await keys.revoke(admin.id, 'system')
    await keys.revoke(read.id, 'system')
    await running.stop()
  }
  const s = DEMO_SCENARIO
  return {
    running: { ...running, stop },
    lines: [
      '',
      `  DEMO       ${s.stores} stores × ${s.tablesPerStore} tables heartbeating every ${s.intervalS} s, a fault every ${s.faultEveryS ?? 0} s (power loss, Will, flapping…)`,
      `             live metrics   curl -s ${running.httpUrl}/metrics | grep -E 'pulsegate_(devices|mqtt_connections|events_stored)'`,
      `             devices        curl -s ${running.httpUrl}/v1/devices -H "Authorization: Bearer ${read.secret}"`,
      '             (a read key for this demo only, revoked when it stops)',
      ''
    ]
  }
}
