import type { CanonicalEvent } from '../pipeline/event.js'
import type { Transition } from './presence.js'

/** The app id under which device-originated and presence events are kept. */
export const DEVICES_APP = 'devices'

/**
 * A presence transition as a `device_online` / `device_offline` event. Its id is derived from
 * the device, the state and the instant, so recording it twice (a retry, a replica) stores it once.
 */
export function transitionEvent(t: Transition, receivedAt: number): CanonicalEvent {
  const eventName = t.online ? 'device_online' : 'device_offline'
  return {
    appId: DEVICES_APP, eventId: `presence:${t.deviceId}:${t.online ? 'on' : 'off'}:${t.at}`, eventName,
    eventTime: t.at, sentAt: null, receivedAt, occurredAt: t.at, skewMs: 0, source: 'server',
    schemaVersion: null, storeId: t.storeId, deviceId: t.deviceId, userId: null, sessionId: null,
    platform: 'device', appVersion: null, channel: null, deviceType: null, correlationId: null,
    properties: { device_id: t.deviceId, reason: t.reason }, flags: []
  }
}
