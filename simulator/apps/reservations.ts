/**
 * Table reservations (seed 001 §3.2, billiards plan P0) on `POST /api/track`: a user books a
 * table 30 minutes to 3 hours ahead (`reservation_create`); at the booked time three in four
 * come and redeem it, a table session with `start_type: reservation` and the `reservation_id`;
 * the others never come and the booking expires 15 minutes later (`reservation_expire`).
 */
import { drop, draft } from './draft.js'
import type { Flow } from './flow.js'
import { BILLIARDS_APP, BILLIARDS_ROUTE, tableSession, type Table } from './billiards.js'
import { idOf, userOf, type Source, type SourceContext } from './source.js'
import { iso, minutes } from './time.js'
import { v1Wire } from './wire.js'

/** Nominal mean gap between two reservations at one store. */
const RESERVATION_EVERY_MS = minutes(30)
const REDEEMED = 0.75

export function reservationSource(ctx: SourceContext, tables: readonly Table[], startAt: number, missingSettlement: number): Source {
  const stores = new Set(tables.map((t) => t.storeId)).size
  const gap = (): number => ctx.rng.exp(ctx.pace.gap(RESERVATION_EVERY_MS / Math.max(1, stores)))
  const source: Source = {
    name: 'reservations',
    nextAt: tables.length === 0 ? Infinity : startAt + gap(),
    spawn: () => {
      const flows = reservation(ctx, ctx.rng.pick(tables), source.nextAt, missingSettlement)
      source.nextAt += gap()
      return flows
    }
  }
  return source
}

function reservation(ctx: SourceContext, table: Table, at: number, missingSettlement: number): Flow[] {
  const { rng, pace } = ctx
  const reservationId = idOf(ctx, 'rsv')
  const fields = { user_id: userOf(ctx), store_id: table.storeId, platform: 'miniprogram' }
  const slot = at + pace.span(minutes(rng.int(30, 180)))
  const create = draft('reservation_create', at, {
    id: idOf(ctx, 'ev'), fields,
    props: { reservation_id: reservationId, table_id: table.tableId, start_time: iso(slot), duration: rng.pick([60, 90, 120, 180]) },
    breaks: [drop('reservation_id'), drop('table_id')]
  })
  const booked: Flow = { app: BILLIARDS_APP, route: BILLIARDS_ROUTE, wire: v1Wire, sends: [[create]] }
  if (rng.chance(REDEEMED)) return [booked, tableSession(ctx, table, slot + pace.span(minutes(rng.int(0, 10))), missingSettlement, reservationId).flow]
  const expire = draft('reservation_expire', slot + pace.span(minutes(15)), {
    id: idOf(ctx, 'ev'), fields, props: { reservation_id: reservationId, reason: 'no_show' }, breaks: [drop('reservation_id')]
  })
  return [booked, { ...booked, sends: [[expire]] }]
}
