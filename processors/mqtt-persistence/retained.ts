import type { Queryable } from '../db/db.js'
import { decodePacket, encodePacket, type AnyPacket, type PacketRow } from './packet-codec.js'

const UPSERT = `INSERT INTO mqtt_retained (topic, header, payload) VALUES ($1, $2::jsonb, $3)
  ON CONFLICT (topic) DO UPDATE SET header = EXCLUDED.header, payload = EXCLUDED.payload, stored_at = now()`
const DELETE = 'DELETE FROM mqtt_retained WHERE topic = $1'
const LOAD = 'SELECT header::text AS header, payload FROM mqtt_retained'

/** An empty payload clears the topic's retained message ([MQTT-3.3.1-10]). One statement. */
export async function saveRetained(db: Queryable, packet: AnyPacket): Promise<void> {
  if (isEmpty(packet.payload)) {
    await db.query(DELETE, [packet.topic])
    return
  }
  const { header, payload } = encodePacket(packet)
  await db.query(UPSERT, [packet.topic, header, payload])
}

export async function loadRetained(db: Queryable): Promise<AnyPacket[]> {
  const { rows } = await db.query<PacketRow>(LOAD)
  return rows.map(decodePacket)
}

function isEmpty(payload: AnyPacket['payload']): boolean {
  return payload === undefined || payload.length === 0
}
