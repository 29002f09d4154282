/**
 * App traffic for `pulsegate simulate` (issue 5, item 1, the HTTP half): what the seeds'
 * clients send over HTTP, on every compatibility route, with a known answer for every event.
 *
 * | app | route(s) | flows |
 * |---|---|---|
 * | web | /v1/batch, /v1/track | sessions of page_view / page_leave (web.ts) |
 * | billiards | /api/track | table sessions qr_scan → … → billing_settled (billiards.ts), reservations (reservations.ts) |
 * | finance | /api/report, /api/report/batch | the statistics design's finance events (finance.ts) |
 * | escort | /tracking/events/batch, /tracking/events | escort orders (escort.ts) |
 *
 * The framework creates a write key per app in `apps` and sends each request with it; bodies
 * carry no key. Requests must be sent in the order `next` returns them, each at about its due
 * time: truths assume the gateway's clock reads close to the simulated one (skew is corrected
 * against `sent_at`, events over 90 days old are refused) and that a resent event reaches the
 * gateway after its first copy (resends go out at least 2 s later).
 */
import { BILLIARDS_APP, tableSource, type Table } from './billiards.js'
import { ESCORT_APP, escortSource } from './escort.js'
import { FINANCE_APP, financeSource } from './finance.js'
import { realize, type Scheduled, type Shares, type Truth } from './flow.js'
import { rngFor } from './random.js'
import { reservationSource } from './reservations.js'
import type { Source, SourceContext } from './source.js'
import { paceOf } from './time.js'
import { WEB_APP, webSource } from './web.js'

export interface AppTrafficOptions {
  /** Seed of every random draw: the same options give the same requests. */
  seed: number
  /** Store ids of the billiards halls. */
  stores: string[]
  /** Tables per store; each plays one session after another. */
  tablesPerStore: number
  /** Size of the user population ids are drawn from; arrival rates grow with it. */
  users: number
  /** Simulation start, ms since epoch. */
  startAt: number
  /** IANA zone of the gateway (PULSEGATE_TIMEZONE): the report routes' local timestamps are written in it. */
  timeZone: string
  /** Shares of all events, each in [0, 1): `invalid`, `duplicate`, `late` events, events from `skew`ed clocks, paid sessions with `missingSettlement`. */
  shares: Shares
  /**
   * Factor on every nominal duration and arrival gap (default 1, real time): 0.01 plays a
   * 90-minute table session in 54 s, so a 60 s simulation still completes flows. Steps inside
   * a flow never shrink below 1 s. Properties keep nominal values (duration, billed minutes,
   * amounts); only event times are compressed.
   */
  timeScale?: number
}

export interface AppRequest {
  /** The app whose write key sends it. */
  app: string
  route: string
  body: unknown
  /** One per event of the body, in order: what the gateway answers for it. */
  truth: Truth[]
}

export interface AppTraffic {
  apps: string[]
  /** Every request due by `now` (ms since epoch) not returned before, in due order. */
  next(now: number): AppRequest[]
}

/** Routes that take one event per request; the others take `{ events: [...] }`. */
const SINGLE = new Set(['/v1/track', '/tracking/events', '/api/report'])
/** The billiards client sends its plan's version (seed 001 §4.2). */
const SCHEMA_VERSION: Readonly<Record<string, string>> = { '/api/track': 'v1.0' }

interface Queued extends Scheduled {
  source: number
  seq: number
}

export function createAppTraffic(opts: AppTrafficOptions): AppTraffic {
  checkOptions(opts)
  const pace = paceOf(opts.timeScale ?? 1)
  const tag = (opts.seed >>> 0).toString(36)
  const ctxFor = (name: string): SourceContext => ({ rng: rngFor(opts.seed, name), pace, users: opts.users, tag })
  const tables: Table[] = opts.stores.flatMap((storeId, s) => Array.from({ length: opts.tablesPerStore }, (_, i) => ({
    storeId, tableId: `${storeId}-T${String(i + 1).padStart(2, '0')}`, rate: 40 + 10 * (s % 5)
  })))
  const sources: Source[] = [
    webSource(ctxFor('web'), opts.startAt),
    ...tables.map((t) => tableSource(ctxFor(`table:${t.tableId}`), t, opts.startAt, opts.shares.missingSettlement)),
    reservationSource(ctxFor('reservations'), tables, opts.startAt, opts.shares.missingSettlement),
    financeSource(ctxFor('finance'), opts.startAt),
    escortSource(ctxFor('escort'), opts.startAt)
  ]
  // Faults draw from their own stream per source, so a flow's content never depends on them.
  const faults = sources.map((s) => ({ rng: rngFor(opts.seed, `faults:${s.name}`), shares: opts.shares, pace, timeZone: opts.timeZone }))
  let queue: Queued[] = []
  let seq = 0
  return {
    apps: [WEB_APP, BILLIARDS_APP, FINANCE_APP, ESCORT_APP],
    next(now) {
      sources.forEach((source, i) => {
        const odds = faults[i] as (typeof faults)[number]
        while (source.nextAt <= now) {
          // A source's flows come out in the same order whatever `now` is, so (at, source, seq) orders requests the same way too.
          for (const flow of source.spawn()) queue.push(...realize(flow, odds).map((s) => ({ ...s, source: i, seq: seq++ })))
        }
      })
      const due = queue.filter((q) => q.at <= now).sort((a, b) => a.at - b.at || a.source - b.source || a.seq - b.seq)
      queue = queue.filter((q) => q.at > now)
      return due.flatMap(requestsOf)
    }
  }
}

function requestsOf(s: Scheduled): AppRequest[] {
  const sentAt = new Date(s.sentAt).toISOString()
  if (SINGLE.has(s.route)) return s.items.map((i) => ({ app: s.app, route: s.route, body: { ...i.event, sent_at: sentAt }, truth: [i.truth] }))
  const version = SCHEMA_VERSION[s.route]
  return [{
    app: s.app, route: s.route, truth: s.items.map((i) => i.truth),
    body: { events: s.items.map((i) => i.event), ...(version === undefined ? {} : { schema_version: version }), sent_at: sentAt }
  }]
}

/** Every problem at once, as configuration is checked (STYLE §9). */
function checkOptions(o: AppTrafficOptions): void {
  const problems: string[] = []
  for (const [name, value] of Object.entries(o.shares)) {
    if (!(value >= 0 && value < 1)) problems.push(`shares.${name} must be in [0, 1), not ${value}`)
  }
  if (o.shares.invalid + o.shares.late + o.shares.duplicate >= 1) problems.push('shares.invalid + shares.late + shares.duplicate must stay below 1')
  if (!(Number.isInteger(o.users) && o.users >= 1)) problems.push(`users must be a positive integer, not ${o.users}`)
  if (!(Number.isInteger(o.tablesPerStore) && o.tablesPerStore >= 0)) problems.push(`tablesPerStore must be a non-negative integer, not ${o.tablesPerStore}`)
  if (o.timeScale !== undefined && !(o.timeScale > 0)) problems.push(`timeScale must be above 0, not ${o.timeScale}`)
  if (!Number.isFinite(o.startAt)) problems.push('startAt must be ms since epoch')
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: o.timeZone })
  } catch {
    problems.push(`timeZone ${JSON.stringify(o.timeZone)} is not an IANA zone`)
  }
  if (problems.length > 0) throw new Error(`invalid app traffic options: ${problems.join('; ')}`)
}
