/**
 * The billiards tracking plan's `POST /api/track` (seed 001 §4.2): the /v1 batch body,
 * `{ "events": [{ event_name, event_time, properties }], "schema_version": "v1.0" }`.
 *
 * The same route serves its devices ("设备：HTTP POST /api/track", seed 001 §4.1), which post
 * `heartbeat_receive` laid out like §3.2, flat. A device may post one event instead of a batch,
 * and may stamp it with the MQTT heartbeat's `ts` (SPEC §3) instead of `event_time`; both are
 * accepted so a device can switch between MQTT and HTTP without changing its payload.
 */
import { batchOf, isObject, notShape, singleOf, type Converted, type Shape } from './shape.js'

export const billiardsTrack: Shape = (body) => {
  if (isObject(body) && !('events' in body) && typeof body.event_name === 'string') return singleOf(body, heartbeatTime)
  if (isObject(body) && !Array.isArray(body.events)) return notShape('/events', 'events must be an array, or the body one event with an event_name')
  return batchOf(body, heartbeatTime)
}

/** A heartbeat's `ts` is its `event_time` when it has no `event_time`. */
function heartbeatTime(raw: unknown): Converted {
  if (!isObject(raw) || raw.event_name !== 'heartbeat_receive' || raw.event_time !== undefined || raw.ts === undefined) return { event: raw }
  const { ts, ...rest } = raw
  return { event: { ...rest, event_time: ts } }
}
