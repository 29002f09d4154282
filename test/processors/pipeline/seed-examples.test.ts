/**
 * Every example payload of the seed designs (/work/shared/seeds), sent in the /v1/batch shape,
 * passes the shipped tracking plan. Seed 001's §3.2 events are sent flat, with seed 001 §3.1's
 * common fields and an event_time added; the other seeds' events are written the way their
 * compatibility routes hand them to the pipeline (snake_case keys, zoned times, minor units).
 */
import { describe, expect, it } from 'vitest'
import { derivedId } from '../../../processors/pipeline/identify.js'
import { processBatch } from '../../../processors/pipeline/pipeline.js'
import { canonical, context, EVENT_TIME, EVENT_TIME_ISO } from './fixtures.js'

/** Seed 001 §3.1, the common fields of every event (platform picked from h5|miniprogram|admin). */
const COMMON = {
  event_time: EVENT_TIME_ISO,
  user_id: 'usr_abc123',
  session_id: 'sess_xyz789',
  store_id: 'store_001',
  device_id: 'dev_terminal_01',
  app_version: 'v1.2.3',
  platform: 'h5',
  correlation_id: 'req_uuid_12345'
}

/** Seed 001 §3.2, verbatim but for the `a|b|c` placeholders, which are expanded below. */
const BILLIARDS = [
  { event_name: 'qr_scan', table_code: 'TBL001-QR789', store_id: 'store_001', source_channel: 'wechat', scan_result: 'success' },
  {
    event_name: 'session_start', session_id: 'sess_xyz789', table_id: 'tbl_001', store_id: 'store_001',
    start_type: 'immediate', user_type: 'member', reservation_id: 'rsv_abc123'
  },
  { event_name: 'billing_frozen', session_id: 'sess_xyz789', amount: 4500, minutes: 90, rules_applied_count: 2, billing_rules: ['hourly_rate', 'member_discount'] },
  { event_name: 'payment_success', payment_id: 'pay_xyz123', amount: 4500, channel: 'wechat', coupon_used: true, activity_tags: ['new_user', 'weekend_promo'] },
  { event_name: 'heartbeat_receive', device_id: 'dev_table_01', table_id: 'tbl_001', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60 }
]

/** Each `a|b|c` placeholder of seed 001 §3.1/§3.2 as its own event. */
const BILLIARDS_VARIANTS = [
  ...['wechat', 'alipay', 'direct'].flatMap((source_channel) =>
    ['success', 'invalid', 'expired'].map((scan_result) => ({ ...BILLIARDS[0], source_channel, scan_result }))),
  ...['immediate', 'reservation'].flatMap((start_type) =>
    ['member', 'guest'].map((user_type) => ({ ...BILLIARDS[1], start_type, user_type }))),
  ...['wechat', 'alipay', 'balance'].map((channel) => ({ ...BILLIARDS[3], channel })),
  { ...BILLIARDS[4], online: 0 }
]

/** The rest of seed 001 §2's event list, with the key properties its table names. */
const BILLIARDS_TABLE = [
  { event_name: 'page_view', page: '/table/tbl_001', referrer: 'https://example.com/', is_first_session: true },
  { event_name: 'session_end_request', session_id: 'sess_xyz789', duration_seconds: 5400 },
  { event_name: 'payment_create', payment_id: 'pay_xyz123', session_id: 'sess_xyz789', amount: 4500, channel: 'alipay', split_count: 2 },
  { event_name: 'reservation_create', reservation_id: 'rsv_abc123', table_id: 'tbl_001', start_time: '2024-01-15T20:00:00+08:00', duration: 120 },
  { event_name: 'reservation_expire', reservation_id: 'rsv_abc123', reason: 'no_show' },
  { event_name: 'alarm_raise', alarm_id: 'alm_001', category: 'device', level: 'critical' }
]

/** Seed 000 §4.1 (escort platform SDK), keys snake_cased and SDK context in properties. */
const ESCORT_CONTEXT = { os_name: 'iOS', os_version: '17.2', city_code: '310100', source: 'wechat', campaign: 'spring', utm_source: 'moments' }
const ESCORT = [
  ['page_view', { page_path: '/pages/index/index', page_title: '首页', referrer: '' }],
  ['page_leave', { page_path: '/pages/index/index', duration: 35 }],
  ['button_click', { button_id: 'btn_book', button_text: '立即预约', page_path: '/pages/index/index' }],
  ['button_click', { element_id: 'btn_book', element_text: '立即预约' }],
  ['form_submit', { form_id: 'f1', form_name: 'booking', success: true }],
  ['search', { keyword: '协和医院', result_count: 12 }],
  ['filter_change', { filter_type: 'hospital', filter_value: 'h_001' }],
  ['order_created', { order_id: 'ord_1', order_no: 'NO20240115001', amount: 19900, service_id: 'svc_1' }],
  ['order_paid', { order_id: 'ord_1', payment_method: 'wechat', amount: 19900 }],
  ['order_cancelled', { order_id: 'ord_2', cancel_reason: '行程变更' }],
  ['order_completed', { order_id: 'ord_1', duration: 180, rating: 5 }],
  ['escort_register', { escort_id: 'esc_1', phone: '13800138000' }],
  ['escort_reviewed', { escort_id: 'esc_1', result: 'approved', review_time: '2024-01-15T10:00:00+08:00' }],
  ['escort_work_status_change', { escort_id: 'esc_1', from_status: 'offline', to_status: 'online' }],
  ['order_grab', { order_id: 'ord_1', escort_id: 'esc_1', success: true }],
  ['order_arrive', { order_id: 'ord_1', escort_id: 'esc_1', arrive_time: '2024-01-15T09:00:00+08:00' }],
  ['coupon_claimed', { coupon_id: 'cp_1', coupon_type: 'discount', source: 'home_banner' }],
  ['coupon_used', { coupon_id: 'cp_1', order_id: 'ord_1', discount: 2000 }],
  ['points_earned', { user_id: 'usr_1', points: 100, source: 'order' }],
  ['points_used', { user_id: 'usr_1', points: 50, order_id: 'ord_1' }],
  ['membership_upgraded', { user_id: 'usr_1', from_level: 'silver', to_level: 'gold' }],
  ['api_call', { api_path: '/api/orders', method: 'GET', duration: 123, status: 200 }],
  ['page_load', { page_path: '/pages/index/index', load_time: 850, resource_count: 23 }],
  ['error_occurred', { error_type: 'TypeError', error_message: 'x is undefined', page_path: '/pages/index/index' }]
] as const

describe('seed 001 (billiards) examples against the shipped plan', () => {
  const ctx = context()

  it('accepts every §3.2 event sent flat with the §3.1 common fields', () => {
    const raws = BILLIARDS.map((e) => ({ ...COMMON, ...e }))
    const batch = processBatch(raws, ctx)
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => a.event.eventName)).toEqual(['qr_scan', 'session_start', 'billing_frozen', 'payment_success', 'heartbeat_receive'])
  })

  it('accepts every §3.2 event sent flat with only event_time added', () => {
    const batch = processBatch(BILLIARDS.map((e) => ({ ...e, event_time: EVENT_TIME_ISO })), ctx)
    expect(batch.refused).toEqual([])
    expect(batch.accepted).toHaveLength(BILLIARDS.length)
  })

  it('accepts every §3.2 event in §4.2\'s shape (attributes under properties)', () => {
    const raws = BILLIARDS.map(({ event_name, ...properties }) => ({ event_name, event_time: EVENT_TIME_ISO, properties }))
    const batch = processBatch(raws, ctx)
    expect(batch.refused).toEqual([])
    expect(batch.accepted).toHaveLength(BILLIARDS.length)
  })

  it('accepts every value the §3.1/§3.2 placeholders allow', () => {
    const platforms = ['h5', 'miniprogram', 'admin'].map((platform) => ({ ...COMMON, ...BILLIARDS[0], platform }))
    const batch = processBatch([...BILLIARDS_VARIANTS.map((e) => ({ ...e, event_time: EVENT_TIME_ISO })), ...platforms], ctx)
    expect(batch.refused).toEqual([])
    expect(batch.accepted).toHaveLength(BILLIARDS_VARIANTS.length + 3)
  })

  it('accepts the other events of §2\'s list with their key properties', () => {
    const batch = processBatch(BILLIARDS_TABLE.map((e) => ({ ...COMMON, ...e })), ctx)
    expect(batch.refused).toEqual([])
    expect(batch.accepted).toHaveLength(BILLIARDS_TABLE.length)
  })

  it('builds the whole canonical qr_scan and heartbeat_receive events', () => {
    const batch = processBatch([{ ...COMMON, ...BILLIARDS[0] }, { ...BILLIARDS[4], event_time: EVENT_TIME_ISO }], ctx)
    expect(batch).toEqual({
      accepted: [
        {
          index: 0,
          event: canonical({
            eventId: 'd:xM9Xo9CLwdckmrtJ-1QjPSjDZPKAgxP4', eventName: 'qr_scan', userId: 'usr_abc123', sessionId: 'sess_xyz789',
            storeId: 'store_001', deviceId: 'dev_terminal_01', appVersion: 'v1.2.3', platform: 'h5', correlationId: 'req_uuid_12345',
            properties: { table_code: 'TBL001-QR789', source_channel: 'wechat', scan_result: 'success' }
          })
        },
        {
          index: 1,
          event: canonical({
            eventId: derivedId({ eventName: 'heartbeat_receive', userId: null, sessionId: null, deviceId: 'dev_table_01', eventTime: EVENT_TIME }), eventName: 'heartbeat_receive', deviceId: 'dev_table_01',
            properties: { table_id: 'tbl_001', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60 }
          })
        }
      ],
      refused: [],
      dropped: []
    })
  })
})

describe('seed 000 (escort platform) events against the shipped plan', () => {
  it('accepts every §4.1 event with its key properties and the SDK context', () => {
    const raws = ESCORT.map(([event_name, props], i) => ({
      event_id: `1734567890123-k3j9x2p${i}`, event_name, event_time: EVENT_TIME_ISO, user_id: 'usr_1', device_id: 'device-1734567890-abc',
      session_id: 'session-1734567890-def', platform: 'miniapp', device_type: 'iPhone 14', app_version: '8.0.44',
      properties: { ...ESCORT_CONTEXT, ...props }
    }))
    const batch = processBatch(raws, context())
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => [a.event.eventName, a.event.platform])).toEqual(ESCORT.map(([name]) => [name, 'miniprogram']))
  })
})

describe('seed 002 (business statistics) records against the shipped plan', () => {
  it('accepts the §4.2.1 page_view and §4.2.2 member_purchase as the report route hands them on', () => {
    const raws = [
      {
        event_name: 'page_view', event_time: '2024-01-15T10:00:00+08:00', user_id: '10001', session_id: 'abc123', device_type: 'pc', channel: 'official',
        page_url: '/user-management', page_title: '用户管理'
      },
      {
        event_name: 'member_purchase', event_time: '2024-01-15T10:00:00+08:00', user_id: '10001',
        order_id: 'OD001', amount: 29900, member_type: 'monthly', payment_method: 'wechat'
      }
    ]
    const batch = processBatch(raws, context())
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => a.event.eventId)).toEqual([expect.stringMatching(/^d:/), 'k:member_purchase:OD001'])
  })

  it('refuses seed 002\'s decimal-yuan amount if it reached the pipeline unconverted', () => {
    const raw = { event_name: 'member_purchase', event_time: EVENT_TIME, user_id: '10001', order_id: 'OD001', amount: 299.5 }
    expect(processBatch([raw], context()).refused).toEqual([
      { index: 0, eventId: null, eventName: 'member_purchase', rejection: { code: 'type_mismatch', path: '/properties/amount', message: 'must be integer' } }
    ])
  })
})

describe('seed 003 (analytics service) tracker calls against the shipped plan', () => {
  it('accepts session.start and message.ai', () => {
    const raws = [
      { event_name: 'session.start', event_time: EVENT_TIME, platform: 'server', properties: { session_id: 'chat-1', user_agent: 'Mozilla/5.0' } },
      { event_name: 'message.ai', event_time: EVENT_TIME, platform: 'server', properties: { session_id: 'chat-1', response_time: 812.5, tokens: 356 } }
    ]
    const batch = processBatch(raws, context())
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => [a.event.eventName, a.event.sessionId])).toEqual([['session.start', 'chat-1'], ['message.ai', 'chat-1']])
  })
})
