import type { IPublishPacket, MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { Transition } from '../../processors/presence/presence.js'
import type { ProtocolVersion } from './external-options.js'

/** MQTT 5 user property on every status the gateway publishes, so any replica recognises it. */
const ORIGIN = 'pulsegate'
/** MQTT 3.1.1 echoes awaited per device, and devices tracked at most: a bound, not a working size. */
const MAX_AWAITED_PER_DEVICE = 4
const MAX_DEVICES = 100_000

/**
 * The statuses the gateway publishes to an external broker, and their echo. Subscribed to
 * `devices/+/status`, the gateway receives its own publish back; applied, an `online` would
 * count as the device's sign of life (moving its deadline) and a late `offline` could flip a
 * device that came back. It never loops: presence from a status is not published again.
 */
export interface OwnStatuses {
  /** Publishes presence the gateway worked out itself as the device's retained status (QoS 1). */
  publish(t: Transition): void
  /** Whether a received status is one the gateway published (acknowledge it, apply nothing). */
  isOwn(deviceId: string, packet: IPublishPacket): boolean
  /** The broker lost the session: the echoes awaited will not come. */
  forget(): void
  /** Publishes nothing more (shutdown). */
  stop(): void
}

/**
 * With MQTT 5 a status carries the user property `origin: pulsegate`, which survives a shared
 * subscription handing the echo to another replica (No Local cannot be used: it is a Protocol
 * Error on a shared subscription, [MQTT-3.8.3-4]). MQTT 3.1.1 has no properties: each replica
 * receives every message, so it remembers the payloads it published per device and takes the
 * next identical status of that device as the echo.
 */
export function createOwnStatuses(client: MqttClient, version: ProtocolVersion, log: Logger): OwnStatuses {
  const awaited = new Map<string, string[]>()
  let stopped = false
  const remember = (deviceId: string, payload: string): void => {
    const list = awaited.get(deviceId) ?? []
    list.push(payload)
    if (list.length > MAX_AWAITED_PER_DEVICE) list.shift()
    awaited.delete(deviceId)
    awaited.set(deviceId, list)
    if (awaited.size > MAX_DEVICES) awaited.delete(awaited.keys().next().value as string)
  }
  return {
    publish(t) {
      const payload = statusOf(t)
      if (payload === null || stopped) return
      // Sent late, after a reconnect, it could overwrite a newer status the device published meanwhile.
      if (!client.connected) {
        log.debug({ deviceId: t.deviceId, reason: t.reason }, 'status not published: broker disconnected')
        return
      }
      const properties = version === 5 ? { userProperties: { origin: ORIGIN, reason: t.reason } } : undefined
      if (version === 4) remember(t.deviceId, payload)
      client.publish(`devices/${t.deviceId}/status`, payload, { qos: 1, retain: true, properties }, (err) => {
        if (err !== undefined && err !== null) log.warn({ deviceId: t.deviceId, err: err.message }, 'status not published')
      })
    },
    isOwn(deviceId, packet) {
      if (version === 5) return [packet.properties?.userProperties?.origin].flat().includes(ORIGIN)
      const list = awaited.get(deviceId)
      if (list?.[0] !== String(packet.payload)) return false
      list.shift()
      if (list.length === 0) awaited.delete(deviceId)
      return true
    },
    forget: () => awaited.clear(),
    stop: () => { stopped = true }
  }
}

/**
 * The retained status of presence the gateway worked out itself (a first heartbeat, a missed
 * deadline, in or out of opening hours); null for transitions a device announced, which are
 * on the topic already.
 */
export function statusOf(t: Transition): string | null {
  if (t.reason !== 'first_heartbeat' && t.reason !== 'heartbeat_timeout' && t.reason !== 'closed') return null
  return t.online ? 'online' : 'offline'
}
