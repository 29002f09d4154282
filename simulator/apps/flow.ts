/**
 * A flow is what one client does: its events, grouped into the sends its SDK makes, on one
 * route. `realize` rolls the faults on a flow and turns it into scheduled requests, each
 * event with the answer the gateway will give it.
 */
import type { Draft } from './draft.js'
import type { Rng } from './random.js'
import { minutes, seconds, type Pace } from './time.js'
import type { Wire } from './wire.js'

export interface Truth {
  eventId: string | null
  eventName: string
  expected: 'accepted' | 'rejected' | 'duplicate'
  reason?: string
  /** What an event expected `accepted` is, as the gateway stores it: what statistics count. */
  event?: EventContent
}

/** An accepted event's statistically relevant content (README "Simulator", the ground truth's `ack`). */
export interface EventContent {
  /**
   * Its `occurred_at` (README "Time"): the true time it happened (for a `late` event, the past
   * time it is stamped with), truncated to the wire's resolution. Exact, except for a client
   * whose clock is off (`dueAt`).
   */
  at: number
  /** Canonical fields, snake_case, as stored. */
  fields: Record<string, string>
  /** Properties, snake_case, money in minor units, as stored. */
  props: Record<string, unknown>
  /**
   * Set when the client's clock is skewed: the gateway shifts the batch by `received_at -
   * sent_at`, so `occurred_at` is `at` plus how late the request reached it past `dueAt`,
   * when it was due on the true clock (processors/pipeline/correct-time.ts).
   */
  dueAt?: number
}

export interface Flow {
  app: string
  route: string
  wire: Wire
  /** Each send: the events one request carries (one each on single-event routes). */
  sends: Draft[][]
}

export interface Shares {
  invalid: number
  duplicate: number
  late: number
  skew: number
  missingSettlement: number
}

/** One event as it goes on the wire, with its expected answer. */
export interface Item {
  event: Record<string, unknown>
  truth: Truth
}

export interface Scheduled {
  /** When the request goes out on the true clock. */
  at: number
  app: string
  route: string
  /** The client's clock at `at` (its `sent_at`). */
  sentAt: number
  items: Item[]
}

export interface RealizeContext {
  rng: Rng
  shares: Shares
  pace: Pace
  timeZone: string
}

/**
 * Per-event fault probabilities among first sends, so that the shares hold over all events,
 * resends included: with d the duplicate share, a first send is invalid with p = invalid/(1-d),
 * late with late/(1-d), and a valid one is resent with q = d/((1-p)(1-d)).
 */
export function faultOdds(s: Shares): { invalid: number; late: number; resend: number } {
  const invalid = s.invalid / (1 - s.duplicate)
  return { invalid, late: s.late / (1 - s.duplicate), resend: Math.min(1, s.duplicate / ((1 - invalid) * (1 - s.duplicate))) }
}

/**
 * Rolls the faults of one flow. Skew belongs to the client: one clock off by 2 to 15 minutes
 * for all its sends, `sent_at` and `event_time` together, which the gateway corrects (README
 * "Time"). Late and invalid belong to one event each. A duplicate is the same event resent,
 * same id, in a later request of the same client, as a retry after a lost answer; only valid
 * events are resent, and at least 2 s later, so the first copy is committed first.
 */
export function realize(flow: Flow, ctx: RealizeContext): Scheduled[] {
  const { rng, pace } = ctx
  const odds = faultOdds(ctx.shares)
  const offset = rng.chance(ctx.shares.skew) ? (rng.chance(0.5) ? 1 : -1) * minutes(rng.int(2, 15)) + seconds(rng.int(0, 59)) : 0
  const out: Scheduled[] = []
  for (const send of flow.sends) {
    const at = Math.max(...send.map((d) => d.at))
    const items = send.map((d) => itemOf(d, { at, offset }, flow.wire, ctx, odds))
    out.push({ at, app: flow.app, route: flow.route, sentAt: at + offset, items })
    const resent = items.filter((i) => i.truth.expected === 'accepted' && rng.chance(odds.resend))
    if (resent.length === 0) continue
    const retryAt = at + Math.max(seconds(2), pace.span(seconds(rng.int(2, 30))))
    out.push({ at: retryAt, app: flow.app, route: flow.route, sentAt: retryAt + offset, items: resent.map((i) => ({ event: i.event, truth: { eventId: i.truth.eventId, eventName: i.truth.eventName, expected: 'duplicate' } })) })
  }
  return out
}

/** The send an item goes in: when it is due on the true clock, and its client's clock error. */
interface SendClock { at: number; offset: number }

function itemOf(d: Draft, send: SendClock, wire: Wire, ctx: RealizeContext, odds: { invalid: number; late: number }): Item {
  const { offset } = send
  const roll = ctx.rng.next()
  const broken = roll < odds.invalid && d.breaks.length > 0 ? ctx.rng.pick(d.breaks) : undefined
  // A client that was offline flushes what it kept: stamped 25 to 47 hours ago, flagged `late`.
  const late = broken === undefined && roll >= odds.invalid && roll < odds.invalid + odds.late
  const eventTime = d.at + offset - (late ? minutes(ctx.rng.int(25 * 60, 47 * 60)) : 0)
  if (broken === undefined) {
    // The gateway reads the time as written (truncated to the wire's resolution) and, for a
    // skewed client, takes the clock error back out: offsets are over the 60 s threshold.
    const at = eventTime - (eventTime % wire.resolutionMs) - offset
    const event: EventContent = { at, ...wire.stored(d), ...(offset === 0 ? {} : { dueAt: send.at }) }
    return { event: wire.write(d, eventTime, ctx.timeZone), truth: { eventId: d.id ?? d.key, eventName: d.name, expected: 'accepted', event } }
  }
  const copy: Draft = { ...d, fields: { ...d.fields }, props: { ...d.props } }
  broken.apply(copy)
  // A refused event is answered with the event_id it was sent with, if any (processors/pipeline/pipeline.ts).
  return { event: wire.write(copy, eventTime, ctx.timeZone), truth: { eventId: d.id, eventName: d.name, expected: 'rejected', reason: broken.reason } }
}
