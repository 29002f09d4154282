import { Aedes, type AedesOptions } from 'aedes'
import type { GatewayServices } from '../services.js'
import { parseDeviceTopic } from './topics.js'

/**
 * The embedded MQTT 3.1.1 broker (aedes). Ingestion happens in `authorizePublish`: aedes sends
 * the PUBACK of a QoS 1 publish only after this hook calls back, so calling back after the
 * heartbeat is committed makes the PUBACK mean "durable" (SPEC §3). An error from the hook
 * closes the connection without a PUBACK (MQTT 3.1.1 has no PUBACK reason codes), and the
 * device's retry is recognised on the next attempt.
 */
export async function buildBroker(svc: GatewayServices): Promise<Aedes> {
  const log = svc.log.child({ component: 'mqtt' })
  const opts: AedesOptions = {
    // Ids and topics of devices are short; refuse deep topic trees early (aedes checks it).
    maxTopicLevels: 8,
    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null)
      const topic = parseDeviceTopic(packet.topic)
      if (topic?.kind !== 'heartbeat') return callback(null)
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      svc.devices.heartbeat(topic.deviceId, payload, packet.qos).then(() => callback(null), (err: Error) => {
        log.warn({ clientId: client.id, deviceId: topic.deviceId, err: err.message }, 'heartbeat not committed; closing without PUBACK')
        callback(err)
      })
    }
  }
  const broker = await Aedes.createBroker(opts)
  broker.on('client', () => svc.metrics.mqttConnections.inc())
  broker.on('clientDisconnect', () => svc.metrics.mqttConnections.dec())
  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'))
  broker.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'connection error'))
  return broker
}
