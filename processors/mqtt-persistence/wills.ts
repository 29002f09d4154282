import type { Queryable } from '../db/db.js'
import { decodePacket, encodePacket, type AnyPacket, type PacketRow } from './packet-codec.js'

/*
 * Last Wills of connected clients, tagged with the id of the broker holding the connection.
 * aedes gives every start a new broker id, so after a crash the wills left behind belong to a
 * broker nobody hears from: aedes's will sweep (every 4 heartbeat intervals) finds them with
 * `streamWill` and publishes them ([MQTT-3.1.2-8]); a client reconnecting first replaces its own.
 */
const PUT = `INSERT INTO mqtt_wills (client_id, broker_id, header, payload) VALUES ($1, $2, $3::jsonb, $4)
  ON CONFLICT (client_id) DO UPDATE SET broker_id = EXCLUDED.broker_id, header = EXCLUDED.header,
    payload = EXCLUDED.payload, stored_at = now()`
const GET = 'SELECT header::text AS header, payload FROM mqtt_wills WHERE client_id = $1'
const DELETE = 'DELETE FROM mqtt_wills WHERE client_id = $1 RETURNING header::text AS header, payload'
const OF_OTHER_BROKERS = 'SELECT header::text AS header, payload FROM mqtt_wills WHERE broker_id <> ALL($1::text[]) ORDER BY client_id'

/** As the memory persistence does, the will is tagged in place with its client and broker. */
export async function putWill(db: Queryable, brokerId: string, clientId: string, will: AnyPacket): Promise<void> {
  will.brokerId = brokerId
  will.clientId = clientId
  const { header, payload } = encodePacket(will)
  await db.query(PUT, [clientId, brokerId, header, payload])
}

export async function getWill(db: Queryable, clientId: string): Promise<AnyPacket | undefined> {
  const { rows: [row] } = await db.query<PacketRow>(GET, [clientId])
  return row === undefined ? undefined : decodePacket(row)
}

export async function deleteWill(db: Queryable, clientId: string): Promise<AnyPacket | undefined> {
  const { rows: [row] } = await db.query<PacketRow>(DELETE, [clientId])
  return row === undefined ? undefined : decodePacket(row)
}

/** Wills held by brokers not in `liveBrokerIds`. */
export async function willsOfOtherBrokers(db: Queryable, liveBrokerIds: readonly string[]): Promise<AnyPacket[]> {
  const { rows } = await db.query<PacketRow>(OF_OTHER_BROKERS, [liveBrokerIds])
  return rows.map(decodePacket)
}
