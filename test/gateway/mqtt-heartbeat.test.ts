import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const heartbeat = { device_id: 'd1', table_id: 't1', store_id: 's1', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60 }

describe('MQTT heartbeats on the embedded broker', () => {
  let running: RunningGateway
  let client: MqttClient
  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_HEARTBEAT_INTERVAL_S: '1' }), { db: await openPglite() })
    client = await mqtt.connectAsync(running.mqttUrl, { clientId: 'd1', reconnectPeriod: 0 })
  })
  afterAll(async () => {
    await client.endAsync()
    await running.stop()
  })
  const db = () => running.gateway.services.db

  it('acknowledges a QoS 1 heartbeat only once its row is committed, and marks the device online', async () => {
    await client.publishAsync('devices/d1/heartbeat', JSON.stringify(heartbeat), { qos: 1 })
    // No waiting: the PUBACK has arrived, so the row must already be there.
    const { rows } = await db().query('SELECT device_id, store_id, table_id, online, latency_ms, battery_level, signal_strength, source FROM heartbeats')
    expect(rows).toEqual([{ device_id: 'd1', store_id: 's1', table_id: 't1', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60, source: 'mqtt' }])
    expect(running.gateway.services.presence.get('d1')).toMatchObject({ deviceId: 'd1', storeId: 's1', online: true, reason: 'first_heartbeat' })
  })

  it('takes the device offline after 3 missed intervals and stores both transitions as events', async () => {
    const seen = running.gateway.services.presence.get('d1')
    expect(seen?.deadline).toBe((seen?.lastSeen ?? 0) + 3000)
    await new Promise((r) => setTimeout(r, (seen?.deadline ?? 0) - Date.now() + 300))
    expect(running.gateway.services.presence.get('d1')).toMatchObject({ online: false, reason: 'heartbeat_timeout', since: seen?.deadline })
    await new Promise((r) => setTimeout(r, 100))
    const { rows } = await db().query<{ event_name: string; properties: unknown }>(`SELECT event_name, device_id, properties FROM events WHERE app_id = 'devices' ORDER BY occurred_at`)
    expect(rows).toEqual([
      { event_name: 'device_online', device_id: 'd1', properties: { device_id: 'd1', reason: 'first_heartbeat' } },
      { event_name: 'device_offline', device_id: 'd1', properties: { device_id: 'd1', reason: 'heartbeat_timeout' } }
    ])
  })

  it('quarantines a malformed heartbeat, counts it, and keeps serving', async () => {
    await client.publishAsync('devices/d1/heartbeat', '{"latency_ms": "fast"', { qos: 1 })
    await client.publishAsync('devices/d1/heartbeat', JSON.stringify({ ...heartbeat, battery_level: 400 }), { qos: 1 })
    const { rows } = await db().query(`SELECT code, path FROM quarantine WHERE source = 'mqtt' ORDER BY id`)
    expect(rows).toEqual([{ code: 'malformed_json', path: '' }, { code: 'constraint_violation', path: '/battery_level' }])
    const res = await fetch(`${running.httpUrl}/metrics`)
    const m = parseMetrics(await res.text())
    expect(m.get('pulsegate_events_rejected_total{source="mqtt",reason="malformed_json"}')).toBe(1)
    const received = sumOf(m, 'pulsegate_events_received_total', 'source="mqtt"')
    expect(received).toBe(3)
    expect(received).toBe(['stored', 'rejected', 'duplicate', 'dropped'].reduce((n, k) => n + sumOf(m, `pulsegate_events_${k}_total`, 'source="mqtt"'), 0))
    // Only the one valid heartbeat (battery 85, signal -60, store s1) reaches the distributions.
    expect(m.get('pulsegate_device_battery_percent_count{store="s1"}')).toBe(1)
    expect(m.get('pulsegate_device_battery_percent_bucket{le="70",store="s1"}')).toBe(0)
    expect(m.get('pulsegate_device_battery_percent_bucket{le="90",store="s1"}')).toBe(1)
    expect(m.get('pulsegate_device_signal_dbm_bucket{le="-60",store="s1"}')).toBe(1)
    expect(m.get('pulsegate_device_signal_dbm_bucket{le="-70",store="s1"}')).toBe(0)
  })

  it('counts connected MQTT clients', async () => {
    const gauge = async () => parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text()).get('pulsegate_mqtt_connections')
    expect(await gauge()).toBe(1)
    const other = await mqtt.connectAsync(running.mqttUrl, { clientId: 'd3', reconnectPeriod: 0 })
    expect(await gauge()).toBe(2)
    await other.endAsync()
    await new Promise((r) => setTimeout(r, 50))
    expect(await gauge()).toBe(1)
  })

  it('coalesces unchanged QoS 0 heartbeats into one row a minute', async () => {
    const other = await mqtt.connectAsync(running.mqttUrl, { clientId: 'd2', reconnectPeriod: 0 })
    for (let i = 0; i < 5; i++) await other.publishAsync('devices/d2/heartbeat', JSON.stringify({ ...heartbeat, device_id: 'd2' }), { qos: 0 })
    await other.publishAsync('devices/d2/heartbeat', JSON.stringify({ ...heartbeat, device_id: 'd2', latency_ms: 900 }), { qos: 1 })
    await other.endAsync()
    const { rows } = await db().query(`SELECT latency_ms FROM heartbeats WHERE device_id = 'd2' ORDER BY received_at`)
    expect(rows).toEqual([{ latency_ms: 45 }, { latency_ms: 900 }])
    const m = parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text())
    expect(m.get('pulsegate_events_dropped_total{source="mqtt",reason="coalesced"}')).toBe(4)
  })
})
