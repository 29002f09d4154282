import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPostgresUrl } from '../support/backends.js'
import { startGatewayProcess, type GatewayProc } from '../support/gateway-process.js'
import { freePort } from '../support/services.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('QoS 1 across a gateway crash', () => {
  const procs: GatewayProc[] = []
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL')
  })

  it('stores an event exactly once when the gateway dies between PUBLISH and PUBACK and the device retries', async () => {
    const dbUrl = await freshPostgresUrl()
    const env = { PULSEGATE_DATABASE_URL: dbUrl, PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-crash-')), PULSEGATE_MQTT_PORT: String(await freePort()) }
    const first = await startGatewayProcess(env)
    procs.push(first)
    const port = Number(env.PULSEGATE_MQTT_PORT)
    // Hold the commit: with the dedup-key table locked, the publish waits in authorizePublish, unacknowledged.
    const blocker = new pg.Client({ connectionString: dbUrl })
    await blocker.connect()
    await blocker.query('BEGIN')
    await blocker.query('LOCK TABLE event_keys IN EXCLUSIVE MODE')

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'crash-1', clean: false, reconnectPeriod: 500, connectTimeout: 2000 })
    const alarm = { event_id: 'alarm-crash-1', event_name: 'alarm_raise', event_time: new Date().toISOString(), properties: { alarm_id: 'c-1', level: 'critical' } }
    let acked = false
    const published = device.publishAsync('devices/crash-1/events', JSON.stringify(alarm), { qos: 1 }).then(() => { acked = true })
    await sleep(500)
    expect(acked).toBe(false)

    first.child.kill('SIGKILL')
    await first.exited
    await blocker.query('ROLLBACK')
    await blocker.end()
    const reader = new pg.Client({ connectionString: dbUrl })
    await reader.connect()
    expect((await reader.query("SELECT 1 FROM events WHERE event_id = 'alarm-crash-1'")).rows).toEqual([])

    // Same ports: the device reconnects by itself and resends the unacknowledged PUBLISH (dup).
    const second = await startGatewayProcess({ ...env, PULSEGATE_HTTP_PORT: new URL(first.httpUrl).port })
    procs.push(second)
    await Promise.race([published, sleep(15_000).then(() => { throw new Error('no PUBACK after the restart') })])
    expect(acked).toBe(true)
    const { rows } = await reader.query("SELECT app_id, device_id, event_name FROM events WHERE event_id = 'alarm-crash-1'")
    expect(rows).toEqual([{ app_id: 'devices', device_id: 'crash-1', event_name: 'alarm_raise' }])

    // A further retry of the same event (a device that missed the PUBACK) is answered and not stored again.
    await device.publishAsync('devices/crash-1/events', JSON.stringify(alarm), { qos: 1 })
    expect((await reader.query("SELECT count(*)::int AS n FROM events WHERE event_id = 'alarm-crash-1'")).rows).toEqual([{ n: 1 }])
    await reader.end()
    device.end(true)
  })
})
