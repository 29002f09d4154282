import type { PublishPacket } from 'aedes'
import { parseDeviceEvents, parseStatus } from '../../processors/ingest/device-messages.js'
import type { BatchContext } from '../../processors/pipeline/context.js'
import { DEVICES_APP } from '../../processors/presence/transition-events.js'
import type { GatewayServices } from '../services.js'
import type { DeviceTopic } from './topics.js'

/** How a message on a device topic arrived: its QoS; whether it is the device's Last Will, after a keepalive timeout. */
export interface Arrival { qos: 0 | 1 | 2; isWill: boolean; timedOut: boolean }

/**
 * Handles one message on a device topic, whichever broker delivered it (the embedded aedes, or
 * an external broker in `PULSEGATE_MQTT_URL` mode). Resolves once what it carries is durable;
 * rejects when it could not be committed, so the message must not be acknowledged.
 */
export async function routeDeviceMessage(svc: GatewayServices, topic: DeviceTopic, payload: Buffer, how: Arrival): Promise<void> {
  switch (topic.kind) {
    case 'heartbeat':
      return svc.devices.heartbeat(topic.deviceId, payload, how.qos)
    case 'events':
      return ingestEvents(svc, topic.deviceId, payload)
    case 'status':
      return applyStatus(svc, topic.deviceId, payload, how)
    default:
  }
}

/** Payload of a publish as a Buffer (aedes may hand over a string). */
export function payloadOf(packet: Pick<PublishPacket, 'payload'>): Buffer {
  return typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
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
function applyStatus(svc: GatewayServices, deviceId: string, payload: Buffer, how: Arrival): void {
  const status = parseStatus(payload)
  if (!status.ok) {
    svc.metrics.rejected.inc({ source: 'mqtt', reason: status.rejection.code })
    return
  }
  const at = Date.now()
  if (status.online) {
    const device = svc.deviceDirectory.get(deviceId)
    const intervalMs = (device?.heartbeatIntervalS ?? svc.config.heartbeatIntervalS) * 1000
    svc.presence.beat({ deviceId, storeId: device?.storeId ?? null, intervalMs, at, online: true, reason: 'status' })
    return
  }
  svc.presence.offline(deviceId, how.isWill ? (how.timedOut ? 'keepalive' : 'will') : 'status', at)
}

