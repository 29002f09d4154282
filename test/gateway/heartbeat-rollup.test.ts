import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { backends } from '../support/backends.js'
import { testConfig } from '../support/gateway.js'

const MINUTE = 60_000

describe.each(backends)('heartbeat minute rollup in a running gateway on %s', (_name, open) => {
  let running: RunningGateway | undefined
  afterEach(async () => { await running?.stop() })

  it('registers the rollup job, which rolls MQTT heartbeats up into heartbeat_minute when run', async () => {
    running = await startGateway(testConfig(), { db: await open() })
    const { jobs, services } = running.gateway
    expect((await jobs.status()).find((s) => s.name === 'heartbeats.rollup'))
      .toMatchObject({ name: 'heartbeats.rollup', schedule: 'FREQ=MINUTELY;BYSECOND=10', catchUp: 'all' })

    // All three heartbeats in one minute: wait out the last seconds of this one if need be.
    const left = MINUTE - (Date.now() % MINUTE)
    if (left < 3000) await sleep(left)
    const client = await mqtt.connectAsync(running.mqttUrl, { clientId: 'rollup-test', reconnectPeriod: 0 })
    const send = (deviceId: string, body: object) => client.publishAsync(`devices/${deviceId}/heartbeat`, JSON.stringify({ device_id: deviceId, ...body }), { qos: 1 })
    await send('d1', { store_id: 's1', latency_ms: 40, battery_level: 85, signal_strength: -61 })
    await send('d1', { store_id: 's1', latency_ms: 60 })
    await send('d2', { store_id: 's2', latency_ms: 7, battery_level: 12 })
    await client.endAsync()
    const raw = await services.db.query<{ received_at: Date }>('SELECT received_at FROM heartbeats ORDER BY received_at')
    const minute = new Date(Math.floor((raw.rows[0]?.received_at.getTime() ?? 0) / MINUTE) * MINUTE)

    expect(await jobs.runNow('heartbeats.rollup')).toMatchObject({ status: 'ok', error: null })
    const { rows } = await services.db.query('SELECT * FROM heartbeat_minute ORDER BY device_id')
    expect(rows).toEqual([
      { device_id: 'd1', minute, store_id: 's1', count: 2, latency_min: 40, latency_avg: 50, latency_max: 60, battery_last: 85, signal_last: -61 },
      { device_id: 'd2', minute, store_id: 's2', count: 1, latency_min: 7, latency_avg: 7, latency_max: 7, battery_last: 12, signal_last: null }
    ])
  })
})
