import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import { startGateway } from '../../gateway/listen.js'
import { testConfig } from '../support/gateway.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('presence across a gateway restart', () => {
  it('resumes each device as it was, and a device that stays silent goes offline at its deadline', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsegate-presence-'))
    const config = testConfig({ PULSEGATE_DATA_DIR: dataDir })
    const first = await startGateway(config)
    const dev = await mqtt.connectAsync(first.mqttUrl, { clientId: 'rs-1', reconnectPeriod: 0 })
    await dev.publishAsync('devices/rs-1/heartbeat', JSON.stringify({ store_id: 's1', interval_s: 3 }), { qos: 1 })
    const before = first.gateway.services.presence.get('rs-1')
    expect(before).toMatchObject({ online: true, reason: 'first_heartbeat' })
    await dev.endAsync()
    await first.stop()

    const second = await startGateway(config)
    try {
      // Restored without a new transition: still online, same last-seen, same deadline.
      expect(second.gateway.services.presence.get('rs-1')).toEqual(before)
      const deadline = before?.deadline ?? 0
      expect(deadline - Date.now()).toBeGreaterThan(0)
      await sleep(deadline - Date.now() + 1000)
      expect(second.gateway.services.presence.get('rs-1')).toMatchObject({ online: false, reason: 'heartbeat_timeout', since: deadline })
      await sleep(100)
      const { rows } = await second.gateway.services.db.query<{ event_name: string; occurred_at: Date }>(
        "SELECT event_name, occurred_at FROM events WHERE device_id = 'rs-1' ORDER BY occurred_at")
      expect(rows.map((r) => [r.event_name, r.occurred_at.getTime()])).toEqual([['device_online', before?.since], ['device_offline', deadline]])
    } finally {
      await second.stop()
    }
  })
})
