import type { IPublishPacket, IStream, MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { GatewayServices } from '../services.js'
import type { OwnStatuses } from './own-status.js'
import { payloadOf, routeDeviceMessage } from './route.js'
import { parseDeviceTopic } from './topics.js'

/** Why a QoS 1 message was left without PUBACK; the broker redelivers it to the session. */
export type Withheld = 'not_committed' | 'connection_lost' | 'shutting_down'

export interface PublishHandler {
  /** MQTT.js's `handleMessage` hook: calling back without an error sends the PUBACK, with one withholds it. */
  handleMessage(packet: IPublishPacket, callback: (err?: Error) => void): void
  /** Nothing is routed or acknowledged from now on (shutdown). */
  refuse(): void
  /** Resolves once the message being handled has settled. */
  idle(): Promise<void>
}

/**
 * Handles each PUBLISH the external broker delivers, and acknowledges it only once durable.
 *
 * MQTT.js sends a QoS 1 PUBACK when `handleMessage` calls back, and reads no further packet
 * until then: messages are handled one at a time, PUBACKs leave in the order the PUBLISHes
 * came [MQTT-4.6.0-2], and while a commit is slow the socket is not read, so the broker holds
 * the rest (back-pressure; MQTT 5 Receive Maximum bounds what is in flight).
 * `customHandleAcks` does not fit: it is MQTT 5 only, and a PUBACK with an error reason code
 * still ends the exchange, so the broker would drop the message instead of redelivering it.
 *
 * A message whose commit fails is not acknowledged. Brokers redeliver an unacknowledged
 * message only when the session reconnects ([MQTT-4.4.0-1]), so the gateway drops the
 * connection, as a network cut would, and reconnects a second later; every message still on
 * that connection is left unacknowledged too, so none is acknowledged ahead of it. The
 * redelivered copy (DUP) is recognised by its `event_id` if the commit had in fact succeeded.
 */
export function createPublishHandler(svc: GatewayServices, client: MqttClient, own: OwnStatuses, log: Logger): PublishHandler {
  let refusing = false
  let failedOn: IStream | undefined
  const inFlight = new Set<Promise<void>>()

  const handle = async (packet: IPublishPacket, stream: IStream): Promise<Withheld | null> => {
    if (refusing) return 'shutting_down'
    if (stream === failedOn) return 'not_committed'
    const topic = parseDeviceTopic(packet.topic)
    svc.metrics.mqttMessages.inc({ kind: topic?.kind ?? 'other' })
    // RETAIN set on delivery means stored state replayed because the gateway subscribed
    // [MQTT-3.3.1-9], not something a device says now (live messages arrive with it cleared).
    if (topic === undefined || packet.retain || (topic.kind === 'status' && own.isOwn(topic.deviceId, packet))) return null
    svc.metrics.mqttExternalLastMessage.set(Date.now() / 1000)
    try {
      // A Will reaches us as an ordinary publish: nothing tells it from the device saying `offline` (reason `status`).
      await routeDeviceMessage(svc, topic, payloadOf(packet), { qos: packet.qos, isWill: false, timedOut: false })
    } catch (err) {
      return notCommitted(packet, stream, err)
    }
    // Committed, but the connection it came on is gone (MQTT.js would queue the PUBACK for the
    // next one, where its packet id may name another message by then). The broker redelivers
    // it; the copy is answered as a duplicate.
    return client.connected && client.stream === stream ? null : 'connection_lost'
  }

  const notCommitted = (packet: IPublishPacket, stream: IStream, err: unknown): Withheld | null => {
    if (refusing) return 'shutting_down'
    log.warn({ topic: packet.topic, qos: packet.qos, err: (err as Error).message }, 'not committed; reconnecting without PUBACK so the broker redelivers')
    // A QoS 0 message is never redelivered: there is nothing to withhold.
    if (packet.qos === 0) return null
    failedOn = stream
    stream.destroy()
    return 'not_committed'
  }

  return {
    handleMessage(packet, callback) {
      const work = handle(packet, client.stream)
        .catch((err: unknown) => notCommitted(packet, client.stream, err))
        .then((withheld) => {
          if (withheld !== null && packet.qos > 0) svc.metrics.mqttExternalUnacked.inc({ reason: withheld })
          callback(withheld === null ? undefined : new Error(`not acknowledged: ${withheld}`))
        })
        .catch((err: unknown) => log.error({ topic: packet.topic, err: (err as Error).message }, 'acknowledging failed'))
      inFlight.add(work)
      void work.then(() => inFlight.delete(work))
    },
    refuse: () => { refusing = true },
    idle: async () => { await Promise.all(inFlight) }
  }
}
