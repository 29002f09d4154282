/**
 * The statistics design's finance events (seed 002 §3.4–3.8, §4.2.2) as its front end reports
 * them: flat records on `POST /api/report` (`reportData`, one at a time) or
 * `POST /api/report/batch` (`batchReport`, flushed every 30 s), `event_type` as the seed spells
 * it, `timestamp` in local time, `amount` in decimal yuan, and no event_id: the gateway
 * identifies orders by `order_id` and the rest by a derived id.
 *
 * A user's journey: a page view, then with falling odds registration, real-name verification
 * (实名认证), card binding (绑卡), a membership purchase (新会员, 会员购买) and its first
 * deduction (会员扣费), and a credit order (额度下单). Every record carries the journey's
 * session_id, so two journeys of one user never derive the same id.
 */
import { badAmount, draft, drop, mistype, type Draft } from './draft.js'
import type { Flow } from './flow.js'
import { flushes, idOf, poissonSource, userOf, type Source, type SourceContext } from './source.js'
import { minutes, seconds } from './time.js'
import { reportWire } from './wire.js'

export const FINANCE_APP = 'finance'

/** Nominal mean gap between two journeys of one user. */
const JOURNEY_EVERY_MS = minutes(120)

export const financeSource = (ctx: SourceContext, startAt: number): Source =>
  poissonSource('finance', ctx, startAt, JOURNEY_EVERY_MS, (at) => journey(ctx, at))

function journey(ctx: SourceContext, start: number): Flow {
  const { rng, pace } = ctx
  const userId = userOf(ctx)
  const fields = { user_id: userId, session_id: idOf(ctx, 'fs') }
  const events: Draft[] = []
  let t = start
  const add = (name: string, props: Record<string, unknown>, breaks: Draft['breaks'], key: string | null = null): void => {
    events.push(draft(name, t, { key, fields, props, breaks }))
    t += pace.span(seconds(rng.int(10, 120)))
  }
  add('page_view', { page_url: rng.pick(['/home', '/member', '/credit']), page_title: '首页', device_type: rng.pick(['pc', 'mobile']) }, [mistype('duration', 'long')])
  if (rng.chance(0.5)) add('user_register', { register_method: 'phone' }, [drop('user_id')])
  if (rng.chance(0.7)) add('real_name_verified', { auth_method: rng.pick(['id_card', 'face']) }, [drop('user_id')])
  if (rng.chance(0.6)) {
    add('card_bound', { card_type: rng.pick(['debit', 'credit']), bank_name: rng.pick(['ICBC', 'CMB', 'BOC']), card_last4: String(rng.int(0, 9999)).padStart(4, '0') },
      [drop('user_id'), mistype('card_last4', rng.int(1000, 9999))])
  }
  if (rng.chance(0.5)) {
    const orderId = idOf(ctx, 'OD')
    const amount = rng.pick([2900, 7900, 29900])
    add('member_purchase', { order_id: orderId, amount, member_type: rng.pick(['monthly', 'quarterly', 'yearly']), payment_method: rng.pick(['wechat', 'alipay', 'bank_card']) },
      [drop('order_id'), drop('amount'), badAmount], `k:member_purchase:${orderId}`)
    if (rng.chance(0.8)) {
      add('member_deduction', { amount, deduction_id: idOf(ctx, 'dd'), order_id: orderId, service_type: 'member', deduction_mode: 'auto' }, [drop('amount'), badAmount])
    }
  }
  if (rng.chance(0.4)) {
    const orderId = idOf(ctx, 'CO')
    add('credit_order_created', { order_id: orderId, amount: rng.int(1000, 500_000), status: 'success', product_id: rng.pick(['p1', 'p2', 'p3']) },
      [drop('order_id'), drop('amount'), badAmount], `k:credit_order_created:${orderId}`)
  }
  const batching = rng.chance(0.5)
  return {
    app: FINANCE_APP, route: batching ? '/api/report/batch' : '/api/report', wire: reportWire,
    sends: batching ? flushes(events, pace.span(seconds(30))) : events.map((e) => [e])
  }
}
