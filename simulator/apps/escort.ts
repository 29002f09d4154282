/**
 * The escort platform's orders (seed 000 §4.1, §5) as its mini-program SDK sends them:
 * camelCase TrackingEvents with SDK ids (`1734567890123-k3j9x2p1q`), flushed as
 * `{ events }` to `POST /tracking/events/batch` every 5 s, or one at a time to
 * `POST /tracking/events`. A patient browses, creates an order (amount in fen) and mostly pays
 * it; a paid order is grabbed by an escort, who arrives and completes it, and the patient earns
 * points; one in ten paid orders is cancelled instead, and so is every unpaid one.
 */
import { draft, drop, mistype, type Draft } from './draft.js'
import type { Flow } from './flow.js'
import { flushes, idOf, poissonSource, userOf, type Source, type SourceContext } from './source.js'
import { iso, minutes, seconds } from './time.js'
import { escortWire } from './wire.js'

export const ESCORT_APP = 'escort'

/** Nominal mean gap between two orders of one user. */
const ORDER_EVERY_MS = minutes(60)

export const escortSource = (ctx: SourceContext, startAt: number): Source =>
  poissonSource('escort', ctx, startAt, ORDER_EVERY_MS, (at) => order(ctx, at))

/** The SDK's ids: epoch ms, a dash, 9 random characters (seed 000 lines 446-456). */
const sdkId = (ctx: SourceContext, at: number, prefix = ''): string => `${prefix}${Math.floor(at)}-${ctx.tag}${ctx.rng.id(9)}`

function order(ctx: SourceContext, start: number): Flow {
  const { rng, pace } = ctx
  const fields = {
    user_id: userOf(ctx), session_id: sdkId(ctx, start, 'session-'), device_id: sdkId(ctx, start, 'device-'), platform: 'miniapp',
    device_type: rng.pick(['iPhone 14', 'HUAWEI P60', 'Xiaomi 13']), os_name: rng.pick(['ios', 'android']), app_version: '8.0.44', city_code: rng.pick(['310100', '110100', '440100'])
  }
  const orderId = idOf(ctx, 'ord')
  const amount = rng.pick([9900, 19900, 29900])
  const events: Draft[] = []
  let t = start
  const add = (name: string, props: Record<string, unknown>, breaks: Draft['breaks'], after: number): void => {
    t += pace.span(after)
    events.push(draft(name, t, { id: sdkId(ctx, t), fields, props, breaks }))
  }
  add('page_view', { page_path: '/pages/index/index', page_title: '首页' }, [mistype('page_path', 1)], seconds(1))
  add('page_view', { page_path: '/pages/order/create', page_title: '预约陪诊' }, [mistype('page_path', 2)], seconds(rng.int(5, 60)))
  add('order_created', { order_id: orderId, order_no: `NO${orderId}`, amount, service_id: rng.pick(['svc_1', 'svc_2']), hospital_id: `h_${rng.int(1, 30)}` },
    [drop('order_id'), drop('amount'), mistype('amount', (amount / 100).toFixed(2))], seconds(rng.int(20, 180)))
  const paid = rng.chance(0.85)
  if (paid) add('order_paid', { order_id: orderId, amount, payment_method: 'wechat', payment_id: idOf(ctx, 'pay') }, [drop('order_id'), drop('amount')], seconds(rng.int(5, 60)))
  if (!paid || rng.chance(0.1)) {
    add('order_cancelled', { order_id: orderId, cancel_reason: rng.pick(['行程变更', '未支付', '医院停诊']) }, [drop('order_id')], minutes(rng.int(1, 30)))
  } else {
    const escortId = idOf(ctx, 'esc')
    add('order_grab', { order_id: orderId, escort_id: escortId, success: true }, [drop('order_id')], minutes(rng.int(1, 20)))
    add('order_arrive', { order_id: orderId, escort_id: escortId, arrive_time: iso(t + pace.span(minutes(30))) }, [drop('order_id')], minutes(30))
    const served = rng.int(60, 240)
    add('order_completed', { order_id: orderId, duration: served, rating: rng.int(3, 5) }, [drop('order_id'), mistype('rating', 'good')], minutes(served))
    add('points_earned', { user_id: fields.user_id, points: Math.floor(amount / 100) }, [drop('points'), mistype('points', 'ten')], seconds(1))
  }
  const batching = rng.chance(0.5)
  return {
    app: ESCORT_APP, route: batching ? '/tracking/events/batch' : '/tracking/events', wire: escortWire,
    sends: batching ? flushes(events, pace.span(seconds(5))) : events.map((e) => [e])
  }
}
