import { postEvent, type HttpTarget } from './http-device.js'
import type { AppShares } from './scenario.js'
import type { AppEventTruth } from './truth.js'
import type { TruthWriter } from './truth-writer.js'

/** The app-traffic interface of simulator/apps (written separately; see its index.ts). */
export interface AppRequest {
  app: string
  route: string
  body: unknown
  truth: Array<{ eventId: string | null; eventName: string; expected: 'accepted' | 'rejected' | 'duplicate'; reason?: string; event?: EventContent }>
}
/** What an accepted event is (simulator/apps/flow.ts `EventContent`). */
export interface EventContent {
  at: number
  fields: Record<string, string>
  props: Record<string, unknown>
  /** Set for a skewed client: `occurred_at` is `at` plus the request's delay past this time. */
  dueAt?: number
}
export interface AppTraffic { apps: string[]; next(now: number): AppRequest[] }
export interface AppTrafficOptions {
  seed: number; stores: string[]; tablesPerStore: number; users: number; startAt: number; timeZone: string; shares: AppShares
  /** Factor on the apps' nominal durations (0.01: a 90-minute table session in 54 s). */
  timeScale?: number
}
type Factory = (opts: AppTrafficOptions) => AppTraffic

/**
 * Loads simulator/apps when it is there. The import is by a computed name so this module
 * builds before (and without) it; a missing module means device traffic only.
 */
export async function loadAppTraffic(opts: AppTrafficOptions): Promise<AppTraffic | null> {
  const name = './apps/index.js'
  let mod: { createAppTraffic?: Factory }
  try {
    mod = await import(name) as { createAppTraffic?: Factory }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null
    throw err
  }
  if (typeof mod.createAppTraffic !== 'function') throw new Error('simulator/apps/index.js does not export createAppTraffic')
  return mod.createAppTraffic(opts)
}

/**
 * Posts one app request with its app's write key and records what was sent and the answer for
 * each event, beside what the app traffic expected; with an `accepted` answer, what the event is.
 */
export async function sendAppRequest(req: AppRequest, target: HttpTarget, truth: TruthWriter): Promise<void> {
  const at = Date.now()
  for (const t of req.truth) truth.write({ type: 'sent', kind: 'app', device_id: null, app: req.app, event_id: t.eventId, event_name: t.eventName, at, qos: null, ts: null })
  await postEvent(target, req.route, req.body, (status, httpStatus, eventId, index) => {
    const expected = req.truth[index]
    const rows = status === 'error' ? req.truth : expected === undefined ? [] : [expected]
    const answeredAt = Date.now()
    for (const t of rows) {
      const event = status === 'accepted' && t.event !== undefined ? { event: eventTruth(t.event, at, answeredAt) } : {}
      truth.write({ type: 'ack', kind: 'app', device_id: null, app: req.app, event_id: eventId ?? t.eventId, event_name: t.eventName, at: answeredAt, ack: 'http', http_status: httpStatus, status, expected: t.expected, ...(t.reason === undefined ? {} : { reason: t.reason }), ...event, ts: null })
    }
  })
}

/**
 * The ack's `event`. A skewed client's events are shifted by the gateway's `received_at`, which
 * only the gateway knows: it lies between the request going out and its answer, so `at` and
 * `at_max` bound `occurred_at` (README "Time").
 */
function eventTruth(e: EventContent, sentAt: number, answeredAt: number): AppEventTruth {
  const bounds = e.dueAt === undefined ? { at: e.at } : { at: e.at + sentAt - e.dueAt, at_max: e.at + answeredAt - e.dueAt }
  return { ...bounds, fields: e.fields, props: e.props }
}
