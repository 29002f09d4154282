import mqtt, { ErrorWithReasonCode, type IConnackPacket, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { errors, PulseGateError } from '../../processors/errors.js'
import type { Config } from '../config/settings.js'
import type { GatewayServices } from '../services.js'
import { clientOptions, deviceSubscriptions, NO_SHARING, withoutCredentials, type ProtocolVersion } from './external-options.js'
import { createPublishHandler, type PublishHandler } from './external-publish.js'
import { createOwnStatuses, type OwnStatuses } from './own-status.js'

/** The gateway's session on an external broker (`PULSEGATE_MQTT_URL`). */
export interface ExternalBroker {
  /** The broker's URL without credentials, for the banner and logs. */
  url: string
  /** Stops taking new messages (shutdown has begun); unacknowledged ones are redelivered to the session later. */
  refuse(): void
  /** Unsubscribes nothing (the session persists), waits for messages being handled, disconnects. */
  close(): Promise<void>
}

/** CONNACK codes of a broker that does not speak MQTT 5: 3.1.1's 1 (unacceptable protocol version) and 5's 0x84. */
const PROTOCOL_REFUSED = new Set([1, 0x84])

interface Session { client: MqttClient; handler: PublishHandler; own: OwnStatuses }

/**
 * Subscribes to `devices/+/…` on an external broker with a persistent session and QoS 1, and
 * acknowledges each message only once it is durable (external-publish.ts). MQTT 5 first, with
 * shared subscriptions when the broker offers them; MQTT 3.1.1 with plain ones when it refuses 5.
 *
 * The start waits for the broker to accept the session and the subscriptions: a wrong URL or
 * credentials stop it with `PG_ERR_CONFIG_INVALID`. From then on a lost connection is retried
 * every second, for as long as it takes, and the broker redelivers what was not acknowledged.
 */
export async function connectExternalBroker(svc: GatewayServices, config: Config): Promise<ExternalBroker> {
  if (config.mqttUrl === undefined) throw new PulseGateError(errors.CONFIG_INVALID, 'PULSEGATE_MQTT_URL is not set')
  const url = withoutCredentials(config.mqttUrl)
  const log = svc.log.child({ component: 'mqtt-external', broker: url })
  const { client, handler, own } = await openSession(svc, { ...config, mqttUrl: config.mqttUrl }, log)
  svc.presence.onTransition((t) => own.publish(t))
  return {
    url,
    refuse: () => handler.refuse(),
    async close() {
      own.stop()
      await handler.idle()
      // A normal DISCONNECT keeps the session: what arrives meanwhile waits for the next start.
      await client.endAsync(!client.connected)
      svc.metrics.mqttExternalConnected.set(0)
    }
  }
}

type ExternalConfig = Config & { mqttUrl: string }

/** MQTT 5 first; MQTT 3.1.1 when the broker refuses 5 as a protocol. Any other failure stops the start. */
async function openSession(svc: GatewayServices, config: ExternalConfig, log: Logger): Promise<Session> {
  try {
    return await tryVersion(svc, config, 5, log)
  } catch (err) {
    if (!(err instanceof ErrorWithReasonCode && PROTOCOL_REFUSED.has(err.code))) throw startFailed(config, err)
  }
  log.warn('the broker refuses MQTT 5; using MQTT 3.1.1 and plain subscriptions')
  try {
    return await tryVersion(svc, config, 4, log)
  } catch (err) {
    throw startFailed(config, err)
  }
}

const startFailed = (config: ExternalConfig, err: unknown): PulseGateError =>
  new PulseGateError(errors.CONFIG_INVALID, `PULSEGATE_MQTT_URL: ${withoutCredentials(config.mqttUrl)}: ${(err as Error).message}`, { cause: err })

/** One client at one protocol version, connected and subscribed; ended again if either fails. */
async function tryVersion(svc: GatewayServices, config: ExternalConfig, version: ProtocolVersion, log: Logger): Promise<Session> {
  const client = mqtt.connect(config.mqttUrl, clientOptions(config, version))
  const own = createOwnStatuses(client, version, log)
  const handler = createPublishHandler(svc, client, own, log)
  // MQTT.js's hook for acknowledging after processing, installed before the first packet can arrive.
  client.handleMessage = handler.handleMessage
  try {
    const accepted = firstConnack(client)
    client.connect()
    const connack = await accepted
    const shared = version === 5 && config.mqttSharedGroup !== NO_SHARING && connack.properties?.sharedSubscriptionAvailable !== false
    keepSession(svc, client, own, { group: config.mqttSharedGroup, shared }, log)
    await subscribe(client, config.mqttSharedGroup, shared, log)
    log.info({ clientId: client.options.clientId, protocolVersion: version, shared, sessionPresent: connack.sessionPresent }, 'external broker session open')
    return { client, handler, own }
  } catch (err) {
    await client.endAsync(true)
    throw err
  }
}

/** The first connection's outcome: its CONNACK, or why it failed (refused, unreachable, timed out). */
function firstConnack(client: MqttClient): Promise<IConnackPacket> {
  return new Promise((resolve, reject) => {
    const settle = (fn: () => void): void => {
      client.off('connect', onConnect).off('error', onError).off('close', onClose)
      fn()
    }
    const onConnect = (connack: IConnackPacket): void => settle(() => resolve(connack))
    const onError = (err: Error): void => settle(() => reject(err))
    const onClose = (): void => settle(() => reject(new Error('connection closed before the broker accepted it')))
    client.on('connect', onConnect).on('error', onError).on('close', onClose)
  })
}

/**
 * After the first connection: the session's gauge and counter, and subscribing again after
 * every reconnection. Not only when the broker lost the session (restarted without
 * persistence, or it expired): mosquitto 2.0 restores a persisted session without its shared
 * subscriptions (its persistence writes only plain ones) and still answers "session present".
 * Subscribing again replaces an existing subscription [MQTT-3.8.4-3]; the retained messages a
 * plain one replays are skipped (external-publish.ts).
 */
function keepSession(svc: GatewayServices, client: MqttClient, own: OwnStatuses, subs: { group: string; shared: boolean }, log: Logger): void {
  const m = svc.metrics
  m.mqttExternalConnected.set(1)
  client.on('connect', (connack) => {
    m.mqttExternalConnected.set(1)
    m.mqttExternalReconnects.inc()
    log.info({ sessionPresent: connack.sessionPresent }, 'external broker reconnected')
    if (!connack.sessionPresent) own.forget()
    subscribe(client, subs.group, subs.shared, log).catch((err: Error) => log.error({ err: err.message }, 'subscribing again failed: no device messages arrive'))
  })
  client.on('close', () => m.mqttExternalConnected.set(0))
  client.on('offline', () => log.warn('external broker connection lost; reconnecting'))
  // A refused CONNACK (credentials changed on the broker) is worth a warning; a refused socket while it is down is not, every second.
  client.on('error', (err) => (err instanceof ErrorWithReasonCode ? log.warn({ err: err.message }, 'external broker refused the connection') : log.debug({ err: err.message }, 'external broker unreachable')))
}

/** QoS 1 on every device topic; anything less (a refusal, or QoS 0 granted) means messages could be lost. */
async function subscribe(client: MqttClient, group: string, shared: boolean, log: Logger): Promise<void> {
  const subs = deviceSubscriptions(group, shared)
  const granted = await client.subscribeAsync(subs)
  const refused = granted.filter((g) => g.qos !== 1)
  if (refused.length > 0) throw new Error(`the broker did not grant QoS 1 on ${refused.map((g) => `${g.topic} (${g.qos})`).join(', ')}`)
  log.debug({ topics: Object.keys(subs) }, 'subscribed')
}
