import aedesPacket from 'aedes-packet'

/** A packet as aedes hands it to its persistence: a PUBLISH, a PUBREL, a Will. */
export interface AnyPacket {
  cmd?: string
  topic?: string
  payload?: Buffer | Uint8Array | string
  messageId?: number | undefined
  brokerId?: string | null | undefined
  brokerCounter?: number
  qos?: number
  retain?: boolean
  clientId?: string
  [field: string]: unknown
}

/** What a row holds of a packet: the fields as JSON text, a binary payload apart. */
export interface EncodedPacket {
  /** JSON of every field but `messageId`, and but `payload` when it is binary. */
  header: string
  /** The payload when it is binary (bytea); null when it is a string (kept in `header`) or absent. */
  payload: Buffer | null
}

/** The row shape every packet table shares; `header` is selected as `header::text`. */
export interface PacketRow {
  header: string
  payload: Uint8Array | null
}

// aedes-packet's typings declare a namespace, but the module exports the constructor itself.
const Packet = aedesPacket as unknown as new (original: AnyPacket) => AnyPacket

/** aedes's own copy of a packet (`new Packet(original)`): the shape its memory persistence queues. */
export function copyPacket(packet: AnyPacket): AnyPacket {
  return new Packet(packet)
}

export function encodePacket(packet: AnyPacket): EncodedPacket {
  const { payload, messageId: _messageId, ...fields } = packet
  const binary = payload instanceof Uint8Array ? asBuffer(payload) : null
  const header = binary === null && payload !== undefined ? { ...fields, payload } : fields
  return { header: JSON.stringify(header, tagBytes), payload: binary }
}

/** The stored fields, as plain data: a binary payload comes back as a Buffer. */
export function decodePacket(row: PacketRow): AnyPacket {
  const packet = JSON.parse(row.header, untagBytes) as AnyPacket
  if (row.payload !== null) packet.payload = asBuffer(row.payload)
  return packet
}

/**
 * A queued PUBLISH comes back as aedes queued it (an aedes `Packet`), with the message id the
 * broker gave it at delivery; anything else (a PUBREL) comes back as it was stored.
 */
export function decodeQueued(row: PacketRow & { message_id: number | null }): AnyPacket {
  const fields = decodePacket(row)
  const packet = fields.cmd === 'publish' ? new Packet(fields) : fields
  if (row.message_id !== null) packet.messageId = row.message_id
  return packet
}

function asBuffer(bytes: Uint8Array): Buffer {
  // PGlite returns bytea as a Uint8Array; aedes and MQTT.js expect Buffers.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Binary fields below the top level (MQTT 5 `properties.correlationData`) travel as
 * `{ "$bytes": base64 }`. The replacer reads the raw value: `Buffer#toJSON` has already run
 * on `value` by the time a replacer sees it.
 */
function tagBytes(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]
  return raw instanceof Uint8Array ? { $bytes: asBuffer(raw).toString('base64') } : value
}

function untagBytes(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value)
    const tagged = (value as { $bytes?: unknown }).$bytes
    if (keys.length === 1 && typeof tagged === 'string') return Buffer.from(tagged, 'base64')
  }
  return value
}
