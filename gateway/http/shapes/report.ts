/**
 * The business statistics design's report API (seed 002): `POST /api/report`, one flat record
 * (its front end's `reportData(data)`, §8.1.1), and `POST /api/report/batch`, `{ events: [...] }`
 * (its `batchReport()`, §11.2.1). Records are flat (§4.2.1, §4.2.2):
 *
 *   { "event_type": "member_purchase", "user_id": "10001", "order_id": "OD001",
 *     "amount": 299, "member_type": "monthly", "payment_method": "wechat",
 *     "timestamp": "2024-01-15 10:00:00" }
 *
 * - `event_type` → `event_name`, renamed to the tracking plan's name (REPORT_EVENT_NAMES);
 * - `timestamp`, local time of `opts.timeZone` (the design's UTC+8, §2.1) → `event_time` with
 *   its offset (local-time.ts); epoch milliseconds and strings with a zone pass as sent;
 * - `amount`, decimal yuan (event_logs.amount DECIMAL(18,2), §5.2.2) → integer fen (money.ts);
 * - every other field stays at the top level: canonical ones (user_id, session_id, device_type,
 *   channel) are read as such, the rest (order_id, page_url, member_type ...) become properties.
 */
import type { Rejection } from '../../../processors/pipeline/event.js'
import { isWallTime, wallTimeToIso } from './local-time.js'
import { yuanToMinor } from './money.js'
import { batchOf, isObject, singleOf, type Converted, type JsonObject, type Shape } from './shape.js'

/**
 * Seed 002 附录A's event types → tracking-plan names. A type not listed passes as sent, so a
 * client may also use plan names (`refund`, which the design subtracts, §3.9, but never names).
 */
export const REPORT_EVENT_NAMES: ReadonlyMap<string, string> = new Map([
  ['page_view', 'page_view'], // 页面访问: PV/UV (§3.1, §3.2)
  ['user_register', 'user_register'], // 用户注册
  ['user_login', 'user_login'], // 用户登录
  ['real_name_auth', 'real_name_verified'], // 实名认证, sent when the check is approved (§3.4, §4.2.2)
  ['bind_card', 'card_bound'], // 绑卡, sent when a card is bound (§3.5)
  ['member_purchase', 'member_purchase'], // 会员购买 (§3.6, §4.2.2)
  // 订单创建: the design's one order metric is 额度下单, orders paid with credit, counted when
  // the order is created (§3.7; §4.1 订单提交页面 → 订单创建成功).
  ['order_create', 'credit_order_created'],
  ['payment_success', 'payment_success'], // 支付成功
  ['deduction_success', 'member_deduction'] // 扣费成功: 当日会员扣费 sums successful deductions (§3.8)
])

/** What an event type says that its plan name does not: a deduction_success is a successful one. */
const IMPLIED: ReadonlyMap<string, JsonObject> = new Map([['deduction_success', { status: 'success' }]])

/** Fields of a record in decimal yuan; event_logs (§5.2.2) has no other money column. */
const YUAN_FIELDS = ['amount'] as const

export const reportSingle: Shape = (body, opts) => singleOf(body, (raw) => reportRecord(raw, opts.timeZone))

export const reportBatch: Shape = (body, opts) => batchOf(body, (raw) => reportRecord(raw, opts.timeZone))

export function reportRecord(raw: unknown, timeZone: string): Converted {
  if (!isObject(raw)) return { event: raw }
  const { event_type: type, timestamp, ...rest } = raw
  const name = type ?? rest.event_name
  const event: JsonObject = { ...(typeof type === 'string' ? IMPLIED.get(type) : undefined), ...rest }
  if (name !== undefined) event.event_name = typeof name === 'string' ? REPORT_EVENT_NAMES.get(name) ?? name : name
  const rejection = [eventTime(event, timestamp, timeZone), ...YUAN_FIELDS.map((f) => minorUnits(event, f))].find((r) => r !== undefined)
  return rejection === undefined ? { event } : { event, rejection }
}

/** Sets `event_time` from `timestamp` (or an `event_time` sent instead), with the zone's offset. */
function eventTime(event: JsonObject, timestamp: unknown, timeZone: string): Rejection | undefined {
  const field = timestamp === undefined && event.event_time !== undefined ? 'event_time' : 'timestamp'
  const value = field === 'timestamp' ? timestamp : event.event_time
  if (value === undefined) return { code: 'required_missing', path: '/timestamp', message: 'timestamp is required' }
  event.event_time = value
  if (!isWallTime(value)) return undefined // zoned or epoch: normalize reads it, or refuses it
  const local = wallTimeToIso(value, timeZone)
  if (!local.ok) return { code: 'bad_timestamp', path: `/${field}`, message: local.message }
  event.event_time = local.iso
  return undefined
}

/** Replaces a yuan field with its fen; a bad one is left as sent and refused. */
function minorUnits(event: JsonObject, field: string): Rejection | undefined {
  const value = event[field]
  if (value === undefined || value === null) return undefined
  const converted = yuanToMinor(value)
  if (!converted.ok) return { code: 'bad_amount', path: `/${field}`, message: `${field} ${converted.message}` }
  event[field] = converted.minor
  return undefined
}
