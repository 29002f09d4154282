import type { Db, Queryable } from '../db/db.js'
import { decodePacket, encodePacket, type AnyPacket, type PacketRow } from './packet-codec.js'

/**
 * A retained message as a batch carries it: the packet's header and, base64 in the batch's
 * JSON, its binary payload; `clear` for an empty payload, which clears the topic's retained
 * message ([MQTT-3.3.1-10]).
 */
export interface RetainedRow {
  topic: string
  header: string
  payload: string | null
  clear: boolean
}

// A batch travels as one JSON parameter (PGlite and pg alike): bytea as base64, the header as
// the JSON text `encodePacket` made, cast to jsonb as the single-row statement did.
const UPSERT = `INSERT INTO mqtt_retained (topic, header, payload)
  SELECT r.topic, r.header::jsonb, decode(r.payload, 'base64')
  FROM json_to_recordset($1::json) AS r(topic text, header text, payload text)
  ON CONFLICT (topic) DO UPDATE SET header = EXCLUDED.header, payload = EXCLUDED.payload, stored_at = now()`
const DELETE = 'DELETE FROM mqtt_retained WHERE topic IN (SELECT json_array_elements_text($1::json))'
const LOAD = 'SELECT header::text AS header, payload FROM mqtt_retained'

export function encodeRetained(packet: AnyPacket): RetainedRow {
  const { header, payload } = encodePacket(packet)
  const clear = packet.payload === undefined || packet.payload.length === 0
  return { topic: packet.topic as string, header, payload: payload?.toString('base64') ?? null, clear }
}

/**
 * Writes rows in order, the last row of a topic winning: one INSERT for the messages, one
 * DELETE for the cleared topics, in one transaction when there are both.
 */
export async function writeRetained(db: Db, rows: readonly RetainedRow[]): Promise<void> {
  const last = new Map<string, RetainedRow>()
  for (const row of rows) last.set(row.topic, row)
  const kept: Array<Omit<RetainedRow, 'clear'>> = []
  const cleared: string[] = []
  for (const { clear, ...row } of last.values()) {
    if (clear) cleared.push(row.topic)
    else kept.push(row)
  }
  const upsert = (q: Queryable) => q.query(UPSERT, [JSON.stringify(kept)])
  const remove = (q: Queryable) => q.query(DELETE, [JSON.stringify(cleared)])
  if (cleared.length === 0) await upsert(db)
  else if (kept.length === 0) await remove(db)
  else await db.transaction(async (tx) => { await upsert(tx); await remove(tx) })
}

export async function loadRetained(db: Queryable): Promise<AnyPacket[]> {
  const { rows } = await db.query<PacketRow>(LOAD)
  return rows.map(decodePacket)
}
