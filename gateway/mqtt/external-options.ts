import { hostname } from 'node:os'
import type { IClientOptions, IClientSubscribeOptions } from 'mqtt'
import type { Config } from '../config/settings.js'

/** MQTT protocol levels the gateway speaks to an external broker: 5, or 4 (3.1.1) where 5 is refused. */
export type ProtocolVersion = 4 | 5

/** `PULSEGATE_MQTT_SHARED_GROUP` value for plain subscriptions even where shared ones exist. */
export const NO_SHARING = 'none'

/** The device topics the gateway consumes (SPEC §3); `commands` is the gateway's to publish. */
const DEVICE_TOPICS = ['devices/+/heartbeat', 'devices/+/events', 'devices/+/status']

/**
 * MQTT 5 Receive Maximum: QoS 1 messages the broker may send before it waits for PUBACKs. The
 * gateway commits them one at a time, so this only bounds what waits in its socket buffer.
 */
const RECEIVE_MAXIMUM = 100
/** [MQTT-3.1.2-23]: 0xFFFFFFFF never expires, so a v5 session outlives any outage, as `clean: false` does in 3.1.1. */
const SESSION_NEVER_EXPIRES = 0xffffffff
const RECONNECT_PERIOD_MS = 1000
const CONNECT_TIMEOUT_MS = 10_000

/**
 * The gateway's persistent session: a fixed client id and `clean: false` (Clean Start 0), so the
 * broker keeps its subscriptions and queues QoS 1 messages while it is away.
 */
export function clientOptions(config: Config, version: ProtocolVersion): IClientOptions {
  return {
    clientId: config.mqttClientId ?? `pulsegate-${hostname()}`,
    clean: false,
    protocolVersion: version,
    ...(version === 5 ? { properties: { sessionExpiryInterval: SESSION_NEVER_EXPIRES, receiveMaximum: RECEIVE_MAXIMUM } } : {}),
    // Subscribing is ours to decide (external.ts): on the first connection, and whenever the broker lost the session.
    resubscribe: false,
    reconnectPeriod: RECONNECT_PERIOD_MS,
    // A broker restarting may refuse a CONNECT for a while (v5 0x88 Server unavailable): keep trying.
    reconnectOnConnackError: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Statuses published while disconnected are dropped, not sent late over a newer one (own-status.ts).
    queueQoSZero: false,
    // The handler is installed before the first packet can arrive (external.ts).
    manualConnect: true
  }
}

/**
 * QoS 1 subscriptions to the device topics: shared (`$share/{group}/…`) when the broker speaks
 * MQTT 5 and offers them, so replicas split the messages; plain otherwise (MQTT 3.1.1, or the
 * group `none`), and then every replica receives every message (dedup stores each event once).
 */
export function deviceSubscriptions(group: string, shared: boolean): Record<string, IClientSubscribeOptions> {
  return Object.fromEntries(DEVICE_TOPICS.map((t) => [shared ? `$share/${group}/${t}` : t, { qos: 1 }]))
}

/** The broker URL for logs, the banner and health: without user name and password. */
export function withoutCredentials(url: string): string {
  const u = new URL(url)
  u.username = ''
  u.password = ''
  return u.toString()
}
