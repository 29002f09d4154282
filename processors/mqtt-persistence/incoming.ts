import type { Queryable } from '../db/db.js'
import { copyPacket, decodeQueued, encodePacket, type AnyPacket, type PacketRow } from './packet-codec.js'

/*
 * Inbound QoS 2 PUBLISHes awaiting PUBREL ([MQTT-4.3.3-2]): aedes sends PUBREC once
 * `store` resolves, so a retransmission after a crash is still recognised and not published
 * twice. Keyed by (client id, message id).
 */
const STORE = `INSERT INTO mqtt_incoming (client_id, message_id, header, payload) VALUES ($1, $2, $3::jsonb, $4)
  ON CONFLICT (client_id, message_id) DO UPDATE SET header = EXCLUDED.header, payload = EXCLUDED.payload, stored_at = now()`
const GET = 'SELECT message_id, header::text AS header, payload FROM mqtt_incoming WHERE client_id = $1 AND message_id = $2'
const DELETE = 'DELETE FROM mqtt_incoming WHERE client_id = $1 AND message_id = $2'
const CLEAN = 'DELETE FROM mqtt_incoming WHERE client_id = $1'

export async function storeIncoming(db: Queryable, clientId: string, packet: AnyPacket): Promise<void> {
  const { header, payload } = encodePacket(copyPacket(packet))
  await db.query(STORE, [clientId, packet.messageId, header, payload])
}

/** Throws when there is none: aedes takes a rejection as "a new packet". */
export async function getIncoming(db: Queryable, clientId: string, packet: AnyPacket): Promise<AnyPacket> {
  const { rows: [row] } = await db.query<PacketRow & { message_id: number }>(GET, [clientId, packet.messageId ?? null])
  if (row === undefined) throw new Error('no such packet')
  return decodeQueued(row)
}

export async function deleteIncoming(db: Queryable, clientId: string, packet: AnyPacket): Promise<void> {
  const { rowCount } = await db.query(DELETE, [clientId, packet.messageId ?? null])
  if (rowCount === 0) throw new Error('no such packet')
}

/** A clean session discards the client's inbound QoS 2 state ([MQTT-3.1.2-6]): one statement. */
export async function cleanIncoming(db: Queryable, clientId: string): Promise<void> {
  await db.query(CLEAN, [clientId])
}
