import type { Queryable } from '../db/db.js'
import { copyPacket, decodeQueued, encodePacket, type AnyPacket, type PacketRow } from './packet-codec.js'

type QueuedRow = PacketRow & { seq: number; message_id: number | null }

const COLUMNS = 'seq, message_id, header::text AS header, payload'
const ENQUEUE = `INSERT INTO mqtt_outgoing (client_id, broker_id, broker_counter, header, payload)
  SELECT u.client_id, $2, $3, $4::jsonb, $5 FROM unnest($1::text[]) WITH ORDINALITY AS u(client_id, n) ORDER BY u.n`
/** The packet aedes is delivering: found by the broker's id and counter, given its message id. */
const SET_MESSAGE_ID = `UPDATE mqtt_outgoing SET message_id = $4 WHERE seq = (SELECT seq FROM mqtt_outgoing
  WHERE client_id = $1 AND broker_id = $2 AND broker_counter = $3 ORDER BY seq LIMIT 1)`
/** A PUBREL (or a packet of another broker) takes the place of the packet with its message id. */
const REPLACE = `UPDATE mqtt_outgoing SET broker_id = $3, broker_counter = $4, header = $5::jsonb, payload = $6
  WHERE seq = (SELECT seq FROM mqtt_outgoing WHERE client_id = $1 AND message_id = $2
    AND ($3::text IS NULL OR broker_id IS DISTINCT FROM $3) ORDER BY seq LIMIT 1)`
const CLEAR_BY_ID = `DELETE FROM mqtt_outgoing WHERE seq = (SELECT seq FROM mqtt_outgoing
  WHERE client_id = $1 AND message_id = $2 ORDER BY seq LIMIT 1) RETURNING ${COLUMNS}`
const CLEAR_UNSENT = `DELETE FROM mqtt_outgoing WHERE seq = (SELECT seq FROM mqtt_outgoing
  WHERE client_id = $1 AND broker_id = $2 AND broker_counter = $3 AND message_id IS NULL ORDER BY seq LIMIT 1) RETURNING ${COLUMNS}`
const LAST = 'SELECT max(seq) AS last FROM mqtt_outgoing WHERE client_id = $1'
const PAGE = `SELECT ${COLUMNS} FROM mqtt_outgoing WHERE client_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`

/**
 * Queues one packet for every subscriber in one INSERT, as aedes's `new Packet(packet)` copy:
 * no message id until delivery. Durable (committed) when the promise resolves, which is
 * before aedes answers the publisher's PUBACK.
 */
export async function enqueue(db: Queryable, clientIds: readonly string[], packet: AnyPacket): Promise<void> {
  if (clientIds.length === 0) return
  const queued = copyPacket(packet)
  const { header, payload } = encodePacket(queued)
  await db.query(ENQUEUE, [clientIds, queued.brokerId ?? null, queued.brokerCounter ?? null, header, payload])
}

/**
 * aedes's memory persistence walks the queue once and takes the first packet that has the
 * broker id and counter (sets the message id) or, from another broker, the message id
 * (replaced). We try the first rule first, so a packet of this broker is never replaced by
 * a colliding message id; a PUBREL (no broker id) replaces the packet it releases, or its
 * own earlier copy when a PUBREC is repeated. Throws as the memory persistence does.
 */
export async function update(db: Queryable, clientId: string, packet: AnyPacket): Promise<void> {
  const brokerId = packet.brokerId ?? null
  if (brokerId !== null && packet.brokerCounter !== undefined) {
    const set = await db.query(SET_MESSAGE_ID, [clientId, brokerId, packet.brokerCounter, packet.messageId ?? null])
    if (set.rowCount > 0) return
  }
  const { header, payload } = encodePacket(packet)
  const replaced = await db.query(REPLACE, [clientId, packet.messageId ?? null, brokerId, packet.brokerCounter ?? null, header, payload])
  if (replaced.rowCount === 0) throw new Error('no such packet')
}

/**
 * Removes the acknowledged packet and returns it. A packet without a message id is one aedes
 * decided not to deliver (a duplicate, or refused by `authorizeForward`): the memory
 * persistence drops the first such packet of the client; we drop that very packet.
 */
export async function clear(db: Queryable, clientId: string, packet: AnyPacket | number): Promise<AnyPacket | undefined> {
  if (typeof packet !== 'object' || packet === null) return undefined
  const { messageId, brokerId, brokerCounter } = packet
  let rows: QueuedRow[]
  if (typeof messageId === 'number') {
    rows = (await db.query<QueuedRow>(CLEAR_BY_ID, [clientId, messageId])).rows
  } else if (typeof brokerId === 'string' && brokerCounter !== undefined) {
    rows = (await db.query<QueuedRow>(CLEAR_UNSENT, [clientId, brokerId, brokerCounter])).rows
  } else {
    return undefined
  }
  return rows[0] === undefined ? undefined : decodeQueued(rows[0])
}

/**
 * The client's queue in order, read a page at a time. Like the memory persistence's snapshot,
 * it stops at the last packet queued when the stream started: a packet queued later is being
 * delivered live, and must not be sent a second time by the reconnect's replay.
 */
export async function * stream(db: Queryable, clientId: string, pageSize: number): AsyncGenerator<AnyPacket> {
  const { rows: [bound] } = await db.query<{ last: number | null }>(LAST, [clientId])
  const last = bound?.last ?? null
  if (last === null) return
  let after = 0
  for (;;) {
    const { rows } = await db.query<QueuedRow>(PAGE, [clientId, after, last, pageSize])
    for (const row of rows) yield decodeQueued(row)
    const tail = rows.at(-1)
    if (tail === undefined || rows.length < pageSize) return
    after = tail.seq
  }
}
