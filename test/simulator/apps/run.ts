/** Drives app traffic in fixed steps, as the simulator framework does, for the tests of this folder. */
import { wallTimeToIso } from '../../../gateway/http/shapes/local-time.js'
import { createAppTraffic, type AppRequest, type AppTrafficOptions } from '../../../simulator/apps/index.js'

export const START = Date.parse('2026-03-02T01:00:00.000Z')

export const NO_FAULTS = { invalid: 0, duplicate: 0, late: 0, skew: 0, missingSettlement: 0 }

export function options(over: Partial<AppTrafficOptions> = {}): AppTrafficOptions {
  return { seed: 42, stores: ['store_a', 'store_b'], tablesPerStore: 3, users: 40, startAt: START, timeZone: 'Asia/Shanghai', timeScale: 0.01, shares: NO_FAULTS, ...over }
}

/** A request with the `now` of the `next` call that returned it. */
export interface Timed extends AppRequest {
  now: number
}

/** Every request of `durationMs` of simulation, calling `next` every `stepMs`. */
export function run(opts: AppTrafficOptions, durationMs: number, stepMs = 1000): Timed[] {
  const traffic = createAppTraffic(opts)
  const out: Timed[] = []
  for (let now = opts.startAt; now <= opts.startAt + durationMs; now += stepMs) {
    for (const r of traffic.next(now)) out.push({ ...r, now })
  }
  return out
}

export type Body = Record<string, unknown>

/** The events of a request body, as sent (one for single-event routes, without `sent_at`). */
export function eventsOf(r: AppRequest): Body[] {
  const body = r.body as Body
  if (Array.isArray(body.events)) return body.events as Body[]
  const { sent_at: _sentAt, ...event } = body
  return [event]
}

export const sentAtOf = (r: AppRequest): number => Date.parse((r.body as { sent_at: string }).sent_at)

/** The event time of a sent event, in any of the three wire formats; a report's local timestamp read as the gateway reads it. */
export function eventTimeOf(e: Body, timeZone = 'Asia/Shanghai'): number {
  if (typeof e.event_time === 'string') return Date.parse(e.event_time)
  if (typeof e.eventTime === 'string') return Date.parse(e.eventTime)
  const local = wallTimeToIso(String(e.timestamp), timeZone)
  return local.ok ? Date.parse(local.iso) : NaN
}
