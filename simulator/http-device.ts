import type { SimDevice, DeviceDeps } from './device.js'
import type { DevicePlan } from './plan.js'
import { createBeatLoop, createTelemetry } from './telemetry.js'
import type { AckStatus } from './truth.js'

export interface HttpTarget {
  baseUrl: string
  /** A write key (the devices' HTTP app). */
  writeKey: string
}

/**
 * A device without MQTT: it posts `heartbeat_receive` to `/api/track` (README "Devices over
 * MQTT", last paragraph), which feeds presence like an MQTT heartbeat. A cut only stops it.
 */
export function createHttpDevice(plan: DevicePlan, target: HttpTarget, deps: DeviceDeps): SimDevice {
  const telemetry = createTelemetry(deps.random)
  let lastBeatAt: number | null = null
  let lastDeliveredBeatAt: number | null = null
  let beats = 0
  const tick = (): void => {
    const ts = Date.now()
    lastBeatAt = ts
    // An explicit id: a derived one has 1 s resolution, so two heartbeats within a second
    // (a 1 s interval with jitter) would be answered `duplicate`.
    const eventId = `${plan.id}-hb-${deps.runToken}-${++beats}`
    const base = { kind: 'heartbeat' as const, device_id: plan.id, app: null, event_name: 'heartbeat_receive', ts }
    const body = { event_id: eventId, event_name: 'heartbeat_receive', device_id: plan.id, store_id: plan.store, table_id: plan.table, online: 1, ...telemetry(), interval_s: plan.intervalS, ts }
    deps.truth.write({ type: 'sent', ...base, event_id: eventId, at: ts, qos: null })
    void postEvent(target, '/api/track', body, (status, httpStatus, answeredId) => {
      if (status === 'accepted') lastDeliveredBeatAt = Math.max(lastDeliveredBeatAt ?? 0, ts)
      deps.truth.write({ type: 'ack', ...base, event_id: answeredId ?? eventId, at: Date.now(), ack: 'http', http_status: httpStatus, status, expected: 'accepted' })
    })
  }
  const loop = createBeatLoop(plan.intervalS * 1000, deps.jitter, deps.random, tick)
  return {
    plan,
    start: async () => loop.start(true),
    cut: async () => loop.stop(),
    resume: async () => loop.start(true),
    stop: async () => loop.stop(),
    get lastBeatAt() { return lastBeatAt },
    get lastDeliveredBeatAt() { return lastDeliveredBeatAt },
    get connected() { return loop.running }
  }
}

interface BatchAnswer { results?: Array<{ index: number; event_id: string | null; status: AckStatus }> }

/**
 * POSTs a body to an ingest route with a write key and reports each event's answer: its
 * status and event id, or `error` (with the HTTP status, null when unreachable).
 */
export async function postEvent(target: HttpTarget, route: string, body: unknown, onResult: (status: AckStatus, httpStatus: number | null, eventId: string | null, index: number) => void): Promise<void> {
  let res: Response
  try {
    res = await fetch(target.baseUrl + route, { method: 'POST', headers: { authorization: `Bearer ${target.writeKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  } catch {
    onResult('error', null, null, 0)
    return
  }
  const answer = await res.json().catch(() => ({})) as BatchAnswer
  if (!res.ok || answer.results === undefined) {
    onResult('error', res.status, null, 0)
    return
  }
  for (const r of answer.results) onResult(r.status, res.status, r.event_id, r.index)
}
