import { Aedes, type AedesOptions, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes'
import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { DbPersistence } from '../../processors/mqtt-persistence/db-persistence.js'
import { parseDeviceEvents, parseStatus } from '../../processors/ingest/device-messages.js'
import type { BatchContext } from '../../processors/pipeline/context.js'
import { DEVICES_APP } from '../../processors/presence/transition-events.js'
import type { Transition } from '../../processors/presence/presence.js'
import type { GatewayServices } from '../services.js'
import { parseDeviceTopic, type DeviceTopic } from './topics.js'

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
  const opts: AedesOptions = {
    // Ids and topics of devices are short; refuse deep topic trees early (aedes checks it).
    maxTopicLevels: 8,
    // Retained messages, persistent sessions and Wills live in the event store: they survive a restart.
    persistence,
    authorizePublish(client, packet, callback) {
      const topic = parseDeviceTopic(packet.topic)
      svc.metrics.mqttMessages.inc({ kind: topic?.kind ?? 'other' })
      if (client === null || topic === undefined) return callback(null)
      const done: Done = (err) => {
        if (err !== null) log.warn({ clientId: client.id, deviceId: topic.deviceId, kind: topic.kind, err: err.message }, 'not committed; closing without PUBACK')
        callback(err)
      }
      // aedes passes the client's own `will` object when it publishes the Last Will.
      const isWill = (client as Client & { will?: unknown }).will === packet
      route(svc, topic, packet, { isWill, timedOut: timedOut.has(client) }, done)
    }
  }
  const broker = await Aedes.createBroker(opts)
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

function route(svc: GatewayServices, topic: DeviceTopic, packet: PublishPacket, how: { isWill: boolean; timedOut: boolean }, done: Done): void {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
  switch (topic.kind) {
    case 'heartbeat':
      svc.devices.heartbeat(topic.deviceId, payload, packet.qos).then(() => done(null), done)
      return
    case 'events':
      ingestEvents(svc, topic.deviceId, payload).then(() => done(null), done)
      return
    case 'status':
      applyStatus(svc, topic.deviceId, payload, how)
      done(null)
      return
    default:
      done(null)
  }
}

/** `devices/{id}/events`: business events (`alarm_raise`), through the one pipeline as app `devices`. */
async function ingestEvents(svc: GatewayServices, deviceId: string, payload: Buffer): Promise<void> {
  const parsed = parseDeviceEvents(deviceId, payload)
  const events = 'rejection' in parsed ? [{ device_id: deviceId, raw: payload.toString('base64').slice(0, 4096) }] : parsed.events
  const preRejected = 'rejection' in parsed ? new Map([[0, parsed.rejection]]) : parsed.rejections
  const ctx: BatchContext = {
    appId: DEVICES_APP, source: 'mqtt', receivedAt: Date.now(), sentAt: null, schemaVersion: null,
    plan: svc.plans.latest, privacyKey: svc.privacyKey, limits: svc.limits, checkEventSize: payload.length > svc.limits.maxEventBytes
  }
  await svc.ingest(events, ctx, preRejected)
}

/**
 * `devices/{id}/status`: `offline` takes the device offline now, with the reason: its Last
 * Will after a keepalive timeout (`keepalive`), its Will after another unclean loss (`will`),
 * or said by the device itself (`status`). `online` counts as a sign of life.
 */
function applyStatus(svc: GatewayServices, deviceId: string, payload: Buffer, how: { isWill: boolean; timedOut: boolean }): void {
  const status = parseStatus(payload)
  if (!status.ok) {
    svc.metrics.rejected.inc({ source: 'mqtt', reason: status.rejection.code })
    return
  }
  const at = Date.now()
  if (status.online) {
    svc.presence.beat({ deviceId, storeId: null, intervalMs: svc.config.heartbeatIntervalS * 1000, at, online: true, reason: 'status' })
    return
  }
  svc.presence.offline(deviceId, how.isWill ? (how.timedOut ? 'keepalive' : 'will') : 'status', at)
}

/**
 * Presence the gateway worked out itself (a first heartbeat, a missed deadline) is published as
 * the device's retained status, so subscribers see the same state as the store. Transitions
 * that came from a status message or a Will are already on the topic.
 */
function publishStatus(broker: Aedes, t: Transition, log: Logger): void {
  if (t.reason !== 'first_heartbeat' && t.reason !== 'heartbeat_timeout') return
  const packet = { cmd: 'publish', topic: `devices/${t.deviceId}/status`, payload: Buffer.from(t.online ? 'online' : 'offline'), qos: 1, retain: true, dup: false } as AedesPublishPacket
  broker.publish(packet, (err) => { if (err !== undefined && err !== null) log.warn({ deviceId: t.deviceId, err: err.message }, 'status not published') })
}
