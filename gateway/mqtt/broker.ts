import { Aedes, type AedesOptions, type AedesPublishPacket, type Client } from 'aedes'
import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { DbPersistence } from '../../processors/mqtt-persistence/db-persistence.js'
import type { Transition } from '../../processors/presence/presence.js'
import type { GatewayServices } from '../services.js'
import { payloadOf, routeDeviceMessage } from './route.js'
import { withConformanceFixes } from './conformance-fixes.js'
import { statusOf } from './own-status.js'
import { brokerSecurity } from './security.js'
import { parseDeviceTopic } from './topics.js'

type Done = (err: Error | null) => void

/**
 * The embedded MQTT 3.1.1 broker (aedes). Ingestion happens in `authorizePublish`: aedes sends
 * the PUBACK of a QoS 1 publish only after this hook calls back, so calling back after the
 * input is committed makes the PUBACK mean "durable" (SPEC §3). An error from the hook closes
 * the connection without a PUBACK (MQTT 3.1.1 has no PUBACK reason codes), and the device's
 * retry is recognised on the next attempt. A device's Last Will passes through the same hook.
 */
export async function buildBroker(svc: GatewayServices, persistence: DbPersistence): Promise<Aedes> {
  const log = svc.log.child({ component: 'mqtt' })
  const timedOut = new WeakSet<Client>()
  const security = brokerSecurity(svc, log)
  if (svc.config.mqttAllowAnonymous) log.warn('PULSEGATE_MQTT_ALLOW_ANONYMOUS is on: MQTT clients without credentials may publish as any device. For testing only.')
  const opts: AedesOptions = {
    ...security.hooks,
    // Ids and topics of devices are short; refuse deep topic trees early (aedes checks it).
    maxTopicLevels: 8,
    // No cap on the deliveries in flight (aedes's default is 100). Past the cap mqemitter queues
    // messages and drains its queue recursively, one stack frame set per message nobody
    // subscribes to (mcollina/mqemitter#204, open): a 1,000-status retained batch filling the
    // cap while a 5,000-row heartbeat commit queued behind it overflowed the stack (bench
    // offline-detection). The queue had no bound either; a frozen subscriber is cut off by
    // aedes's `drainTimeout`, instead of holding every slot (aedes docs/Aedes.md).
    concurrency: 0,
    // Retained messages, persistent sessions and Wills live in the event store: they survive a restart.
    persistence,
    authorizePublish(client, packet, callback) {
      if (client !== null && !security.mayPublish(client, packet)) return callback(new Error(`not authorized to publish to ${packet.topic}`))
      const topic = parseDeviceTopic(packet.topic)
      svc.metrics.mqttMessages.inc({ kind: topic?.kind ?? 'other' })
      if (client === null || topic === undefined) return callback(null)
      const done: Done = (err) => {
        if (err !== null) log.warn({ clientId: client.id, deviceId: topic.deviceId, kind: topic.kind, err: err.message }, 'not committed; closing without PUBACK')
        callback(err)
      }
      // aedes passes the client's own `will` object when it publishes the Last Will.
      const isWill = (client as Client & { will?: unknown }).will === packet
      routeDeviceMessage(svc, topic, payloadOf(packet), { qos: packet.qos, isWill, timedOut: timedOut.has(client) }).then(() => done(null), done)
    }
  }
  const broker = await Aedes.createBroker(withConformanceFixes(opts))
  // aedes reports persistence failures outside a client (the Will sweep, routing a publish) as
  // 'error' events: without a listener one database hiccup would end the process. (Its typings
  // omit the event; the class is an EventEmitter.)
  const emitter: EventEmitter = broker
  emitter.on('error', (err: Error) => log.error({ err: err.message }, 'broker persistence error'))
  broker.on('client', () => svc.metrics.mqttConnections.inc())
  broker.on('clientDisconnect', () => svc.metrics.mqttConnections.dec())
  // Marked before aedes publishes the Will of a client whose keepalive ran out (SPEC §6 `keepalive`).
  broker.on('keepaliveTimeout', (client) => timedOut.add(client))
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'))
  broker.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'connection error'))
  svc.presence.onTransition((t) => publishStatus(broker, t, log))
  return broker
}

/**
 * Presence the gateway worked out itself (a first heartbeat, a missed deadline, in or out of
 * opening hours) is published as the device's retained status, so subscribers see the same
 * state as the store. Transitions that came from a status message or a Will are already on the topic.
 */
function publishStatus(broker: Aedes, t: Transition, log: Logger): void {
  const status = statusOf(t)
  if (status === null) return
  const packet = { cmd: 'publish', topic: `devices/${t.deviceId}/status`, payload: Buffer.from(status), qos: 1, retain: true, dup: false } as AedesPublishPacket
  broker.publish(packet, (err) => { if (err !== undefined && err !== null) log.warn({ deviceId: t.deviceId, err: err.message }, 'status not published') })
}
