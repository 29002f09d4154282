import { describe, expect, it } from 'vitest'
import { loadPlan } from '../../../processors/plan/compile.js'
import { validate } from '../../../processors/pipeline/validate.js'
import { DEVICES_APP, transitionEvent } from '../../../processors/presence/transition-events.js'
import type { Transition } from '../../../processors/presence/presence.js'

const AT = Date.parse('2024-01-15T10:00:15.000Z')
const RECEIVED_AT = AT + 3

describe('transitionEvent', () => {
  it('turns an offline transition into a whole device_offline event', () => {
    const t: Transition = { deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: AT }
    expect(transitionEvent(t, RECEIVED_AT)).toEqual({
      appId: 'devices', eventId: `presence:dev_table_01:off:${AT}`, eventName: 'device_offline',
      eventTime: AT, sentAt: null, receivedAt: RECEIVED_AT, occurredAt: AT, skewMs: 0, source: 'server',
      schemaVersion: null, storeId: 'store_001', deviceId: 'dev_table_01', userId: null, sessionId: null,
      platform: 'device', appVersion: null, channel: null, deviceType: null, correlationId: null,
      properties: { device_id: 'dev_table_01', reason: 'heartbeat_timeout' }, flags: []
    })
    expect(DEVICES_APP).toBe('devices')
  })

  it('turns an online transition into device_online with an id of its own', () => {
    const t: Transition = { deviceId: 'd1', storeId: null, online: true, reason: 'first_heartbeat', at: AT }
    const event = transitionEvent(t, RECEIVED_AT)
    expect([event.eventName, event.eventId, event.storeId, event.properties]).toEqual(['device_online', `presence:d1:on:${AT}`, null, { device_id: 'd1', reason: 'first_heartbeat' }])
  })

  it('gives the same transition recorded twice the same id, whenever it is recorded', () => {
    const t: Transition = { deviceId: 'd1', storeId: 's', online: false, reason: 'will', at: AT }
    expect(transitionEvent(t, RECEIVED_AT).eventId).toBe(transitionEvent(t, RECEIVED_AT + 60_000).eventId)
  })

  it('passes the shipped tracking plan for every reason', () => {
    const ctx = {
      appId: DEVICES_APP, source: 'server' as const, receivedAt: RECEIVED_AT, sentAt: null, schemaVersion: null, plan: loadPlan(), privacyKey: Buffer.from("k"),
      limits: { maxEventBytes: 32_768, skewThresholdMs: 60_000, lateAfterMs: 86_400_000, retentionMs: 90 * 86_400_000 }, checkEventSize: false
    }
    const reasons = ['first_heartbeat', 'heartbeat_timeout', 'will', 'status', 'keepalive', 'closed'] as const
    for (const reason of reasons) {
      for (const online of [true, false]) {
        const event = transitionEvent({ deviceId: 'd1', storeId: 's1', online, reason, at: AT }, RECEIVED_AT)
        expect(validate(event, ctx)).toEqual({ ok: true, event })
      }
    }
  })
})
