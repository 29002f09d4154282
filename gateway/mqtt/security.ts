import type { AedesOptions, Client, PublishPacket, Subscription } from 'aedes'
import type { Logger } from 'pino'
import type { MqttAccount } from '../../processors/access/mqtt-accounts.js'
import { filterCovers, topicMatches } from '../../processors/access/topic-filter.js'
import { SERVICE_USER_PREFIX } from '../../processors/devices/device-record.js'
import type { GatewayServices } from '../services.js'
import { parseDeviceTopic } from './topics.js'

/**
 * Who a connected client is: a registered device, a tool's service account, or anyone (testing
 * only). A device is held by its id alone, all its checks need: its whole record, kept for the
 * connection's life, outlived the credential cache's entry (270 bytes per device in heap snapshots).
 */
export type Identity =
  | { kind: 'device'; deviceId: string }
  | { kind: 'service'; account: MqttAccount }
  | { kind: 'anonymous' }

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
const IDENTIFIER_REJECTED = 2
const BAD_CREDENTIALS = 4
const NOT_AUTHORIZED = 5

type Refusal = { code: number; reason: string; message: string }

/** What a device may publish to: its own heartbeat, events and status (SPEC §3). */
const DEVICE_PUBLISH_KINDS = new Set(['heartbeat', 'events', 'status'])

/**
 * The broker's security hooks (SPEC §3): a device connects with its id as user name and its
 * secret as password, publishes only under `devices/{its id}/` and subscribes only to its own
 * `commands`; a tool connects as `svc:{name}` within its account's topic filters. Refusals are
 * counted by reason; a refused CONNECT gets the MQTT return code, a refused publish closes the
 * connection (MQTT 3.1.1 has no PUBACK reason codes), a refused subscription is granted 0x80.
 */
export function brokerSecurity(svc: GatewayServices, log: Logger): {
  hooks: Pick<AedesOptions, 'authenticate' | 'authorizeSubscribe'>
  /** Whether the client may publish this packet; counts and logs a refusal. */
  mayPublish(client: Client, packet: PublishPacket): boolean
} {
  const identities = new WeakMap<Client, Identity>()
  const allowAnonymous = svc.config.mqttAllowAnonymous
  const refuse = (client: Client, r: Refusal, username: string | undefined): Error & { returnCode: number } => {
    svc.metrics.mqttAuthFailures.inc({ reason: r.reason })
    log.warn({ clientId: client.id, username, reason: r.reason }, 'MQTT connection refused')
    return Object.assign(new Error(r.message), { returnCode: r.code })
  }

  const identify = async (client: Client, username: string | undefined, password: Buffer | undefined): Promise<Identity | Refusal> => {
    if (username === undefined || username === '') {
      return allowAnonymous ? { kind: 'anonymous' } : { code: NOT_AUTHORIZED, reason: 'anonymous', message: 'credentials are required' }
    }
    const secret = password?.toString('utf8') ?? ''
    // A client id that is a registered device's id belongs to that device alone: anyone else
    // using it would take over (and end) the device's session. Other ids are free (tools such
    // as mosquitto_pub pick random ones).
    const takesOver = (): boolean => client.id !== username && svc.deviceDirectory.get(client.id) !== undefined
    if (username.startsWith(SERVICE_USER_PREFIX)) {
      const found = await svc.mqttAccounts.check(username.slice(SERVICE_USER_PREFIX.length), secret)
      if (!found.ok) return refusalOf(found.reason)
      return takesOver() ? clientIdTaken(client.id) : { kind: 'service', account: found.account }
    }
    const found = await svc.deviceRegistry.check(username, secret)
    if (!found.ok) return refusalOf(found.reason)
    if (takesOver()) return clientIdTaken(client.id)
    const will = (client as Client & { _will?: PublishPacket | null })._will
    if (will !== undefined && will !== null && !devicePublishAllowed(found.device.deviceId, will.topic)) {
      return { code: NOT_AUTHORIZED, reason: 'will_topic', message: `a device's Will goes to devices/${username}/status` }
    }
    return { kind: 'device', deviceId: found.device.deviceId }
  }

  return {
    hooks: {
      authenticate(client, username, password, done) {
        identify(client, username, password).then((who) => {
          if ('code' in who) return done(refuse(client, who, username), false)
          identities.set(client, who)
          done(null, true)
        }, (err: Error) => {
          // The registry could not be read (store down): refused, not admitted; the device retries.
          log.error({ clientId: client.id, err: err.message }, 'MQTT credentials could not be checked')
          done(refuse(client, { code: 3, reason: 'error', message: 'server unavailable' }, username), false)
        })
      },
      authorizeSubscribe(client, sub, done) {
        if (client === null || maySubscribe(identities.get(client), sub)) return done(null, sub)
        svc.metrics.mqttAclDenials.inc({ action: 'subscribe' })
        log.warn({ clientId: client.id, topic: sub.topic }, 'MQTT subscription refused')
        done(null, null)
      }
    },
    mayPublish(client, packet) {
      if (mayPublish(identities.get(client), packet.topic)) return true
      svc.metrics.mqttAclDenials.inc({ action: 'publish' })
      log.warn({ clientId: client.id, topic: packet.topic }, 'MQTT publish refused; closing the connection')
      return false
    }
  }
}

const clientIdTaken = (id: string): Refusal => ({ code: IDENTIFIER_REJECTED, reason: 'client_id', message: `client id ${id} belongs to another device` })

function refusalOf(reason: string): Refusal {
  return { code: reason === 'disabled' || reason === 'revoked' ? NOT_AUTHORIZED : BAD_CREDENTIALS, reason, message: 'bad user name or password' }
}

function devicePublishAllowed(deviceId: string, topic: string): boolean {
  const t = parseDeviceTopic(topic)
  return t !== undefined && t.deviceId === deviceId && DEVICE_PUBLISH_KINDS.has(t.kind)
}

function mayPublish(who: Identity | undefined, topic: string): boolean {
  switch (who?.kind) {
    case 'anonymous': return true
    case 'device': return devicePublishAllowed(who.deviceId, topic)
    case 'service': return who.account.publish.some((f) => topicMatches(f, topic))
    default: return false
  }
}

function maySubscribe(who: Identity | undefined, sub: Subscription): boolean {
  switch (who?.kind) {
    case 'anonymous': return true
    case 'device': return sub.topic === `devices/${who.deviceId}/commands`
    case 'service': return who.account.subscribe.some((f) => filterCovers(f, sub.topic))
    default: return false
  }
}
