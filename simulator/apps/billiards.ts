/**
 * The billiards flow per table (seed 001 §2, §3.2), posted by its H5 / mini-program client to
 * `POST /api/track` one event at a time, in the plan's order:
 * qr_scan → session_start → session_end_request → billing_frozen → payment_create →
 * payment_success → billing_settled. `session_id` runs through the flow and `payment_id` from
 * the order on; `billing_settled` is left out for the `missingSettlement` share of paid
 * sessions (the gateway's settlement expectation then misses). A table plays 20 to 150 minutes,
 * then stays free 2 to 30 minutes; amounts are billed minutes × the store's rate per minute.
 */
import { drop, draft, mistype, type Draft } from './draft.js'
import type { Flow } from './flow.js'
import { idOf, userOf, type Source, type SourceContext } from './source.js'
import { minutes, seconds } from './time.js'
import { v1Wire } from './wire.js'

export const BILLIARDS_APP = 'billiards'
export const BILLIARDS_ROUTE = '/api/track'

export interface Table {
  storeId: string
  tableId: string
  /** Fen per minute. */
  rate: number
}

export interface TableSession {
  flow: Flow
  /** When the table is free again. */
  end: number
}

export function tableSource(ctx: SourceContext, table: Table, startAt: number, missingSettlement: number): Source {
  const source: Source = {
    name: `table:${table.tableId}`,
    nextAt: startAt + ctx.pace.gap(minutes(ctx.rng.int(0, 20))),
    spawn: () => {
      const played = tableSession(ctx, table, source.nextAt, missingSettlement)
      source.nextAt = played.end + ctx.pace.gap(minutes(ctx.rng.int(2, 30)))
      return [played.flow]
    }
  }
  return source
}

/** One session at `table` from the QR scan at `start`; `reservationId` when it redeems a reservation. */
export function tableSession(ctx: SourceContext, table: Table, start: number, missingSettlement: number, reservationId?: string): TableSession {
  const { rng, pace } = ctx
  const fields = { user_id: userOf(ctx), platform: 'miniprogram' }
  const sessionId = idOf(ctx, 'sess')
  const paymentId = idOf(ctx, 'pay')
  const played = rng.int(20, 150)
  const amount = played * table.rate
  const channel = rng.pick(['wechat', 'alipay', 'balance'])
  const events: Draft[] = []
  let t = start
  const add = (name: string, props: Record<string, unknown>, breaks: Draft['breaks'], after: number): void => {
    t += after === 0 ? 0 : pace.span(after)
    events.push(draft(name, t, { id: idOf(ctx, 'ev'), fields: { ...fields, store_id: table.storeId }, props, breaks }))
  }
  add('qr_scan', { table_code: `${table.tableId}-QR`, source_channel: rng.pick(['wechat', 'alipay', 'direct']), scan_result: 'success' }, [drop('table_code')], 0)
  add('session_start', {
    session_id: sessionId, table_id: table.tableId, store_id: table.storeId, user_type: rng.pick(['member', 'guest']),
    ...(reservationId === undefined ? { start_type: 'immediate' } : { start_type: 'reservation', reservation_id: reservationId })
  }, [drop('session_id'), drop('table_id'), drop('store_id')], seconds(rng.int(5, 30)))
  add('session_end_request', { session_id: sessionId, duration_seconds: played * 60 }, [drop('session_id'), mistype('duration_seconds', `${played * 60}s`)], minutes(played))
  add('billing_frozen', { session_id: sessionId, amount, minutes: played, rules_applied_count: 1, billing_rules: ['per_minute'] },
    [drop('session_id'), drop('amount'), mistype('amount', (amount / 100).toFixed(2))], seconds(rng.int(2, 10)))
  add('payment_create', { payment_id: paymentId, session_id: sessionId, amount, channel }, [drop('payment_id'), drop('amount')], seconds(rng.int(5, 60)))
  add('payment_success', { payment_id: paymentId, amount, channel }, [drop('payment_id'), drop('amount')], seconds(rng.int(3, 30)))
  if (!rng.chance(missingSettlement)) add('billing_settled', { payment_id: paymentId, amount, session_id: sessionId }, [drop('payment_id')], seconds(rng.int(1, 5)))
  return { flow: { app: BILLIARDS_APP, route: BILLIARDS_ROUTE, wire: v1Wire, sends: events.map((e) => [e]) }, end: t }
}
