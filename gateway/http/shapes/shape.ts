/**
 * Shapes: pure adapters from a client's request body to the `/v1/batch` event shape (SPEC §4,
 * "compatibility routes for the seeds' clients, unchanged"). One file per wire format; the
 * routes call a shape, answer 400 when it says the body is not that shape at all, and hand the
 * events to the one pipeline. A shape never reads a clock or a setting other than its options.
 */
import type { Rejection } from '../../../processors/pipeline/event.js'

export interface ShapedBatch {
  /** Events in the /v1 batch shape, one per input event, same order. */
  events: unknown[]
  /**
   * Per-index refusals found while converting (the raw at that index is still kept, as
   * converted as possible, for quarantine). Paths name the field as the client sent it.
   */
  rejections: Map<number, Rejection>
  /** Raw value, the route parses it. */
  sentAt: unknown
  schemaVersion: string | null
  /** A write key sent in the body (`write_key` or `writeKey`), for clients that cannot set headers. */
  writeKey: string | null
}

/** A body that is not this shape at all → the route answers 400 naming `path`. */
export type ShapeResult = { ok: true; batch: ShapedBatch } | { ok: false; path: string; message: string }

export interface ShapeOptions {
  /** IANA zone in which clients that send local timestamps (seed 002) wrote them. */
  timeZone: string
}

export type Shape = (body: unknown, opts: ShapeOptions) => ShapeResult

export type JsonObject = Record<string, unknown>

/** One converted event, and why it is refused if it is. */
export interface Converted {
  event: unknown
  rejection?: Rejection
}

/**
 * Body fields beside the events: they describe the request, never an event. `writeKey` is the
 * escort SDK's spelling of `write_key`, which gateway/http/access.ts accepts on every write
 * route: left in a single-event body it would be stored as a property, the secret in clear.
 */
const ENVELOPE = ['schema_version', 'sent_at', 'write_key', 'writeKey'] as const

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

export const notShape = (path: string, message: string): ShapeResult => ({ ok: false, path, message })

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** The envelope of `body` around already converted events. */
export function shaped(body: JsonObject, converted: readonly Converted[]): ShapeResult {
  const rejections = new Map<number, Rejection>()
  converted.forEach((c, i) => {
    if (c.rejection !== undefined) rejections.set(i, c.rejection)
  })
  return {
    ok: true,
    batch: {
      events: converted.map((c) => c.event), rejections,
      sentAt: body.sent_at, schemaVersion: stringOrNull(body.schema_version), writeKey: stringOrNull(body.write_key ?? body.writeKey)
    }
  }
}

/** `{ events: [...], schema_version?, sent_at?, write_key? }`, each event converted by `convert`. */
export function batchOf(body: unknown, convert: (raw: unknown) => Converted): ShapeResult {
  if (!isObject(body)) return notShape('', 'the body must be an object with an events array')
  if (!Array.isArray(body.events)) return notShape('/events', 'events must be an array')
  return shaped(body, body.events.map(convert))
}

/**
 * One event at the top level of the body, with the envelope fields beside it (removed from
 * the event). A body holding an `events` array is a batch sent to a single-event route.
 */
export function singleOf(body: unknown, convert: (raw: unknown) => Converted): ShapeResult {
  if (!isObject(body)) return notShape('', 'the body must be one event, a JSON object')
  if (Array.isArray(body.events)) return notShape('/events', 'this route takes one event; send batches to the batch route')
  return shaped(body, [convert(withoutEnvelope(body))])
}

export function withoutEnvelope(body: JsonObject): JsonObject {
  const event = { ...body }
  for (const k of ENVELOPE) delete event[k]
  return event
}

/** Events already in the /v1 shape. */
export const asIs = (raw: unknown): Converted => ({ event: raw })
