/**
 * The seeds' own example payloads, copied from /work/shared/seeds (cited by file and line).
 * `a|b|c` placeholders take their first value; values a seed leaves to the code that builds a
 * payload (ids the SDK generates, Taro's system info) are filled in and marked.
 */

// ------------------------------------------------------------ seed 001 (billiards), 001_d46890aad8cfb17d.txt

/** §4.2 lines 121-130, verbatim but for the `{ /* 事件属性 *\/ }` placeholder, left empty. */
export const TRACK_BODY = {
  events: [{ event_name: 'session_start', event_time: '2024-01-15T10:30:45.123Z', properties: {} }],
  schema_version: 'v1.0'
}

/** §3.2 session_start, lines 57-65: what the §4.2 placeholder stands for. */
export const SESSION_START_PROPS = {
  session_id: 'sess_xyz789', table_id: 'tbl_001', store_id: 'store_001', start_type: 'immediate', user_type: 'member', reservation_id: 'rsv_abc123'
}

/** §3.1 lines 30-39, the common fields of every event. */
export const COMMON = {
  event_time: '2024-01-15T10:30:45.123Z', user_id: 'usr_abc123', session_id: 'sess_xyz789', store_id: 'store_001',
  device_id: 'dev_terminal_01', app_version: 'v1.2.3', platform: 'h5', correlation_id: 'req_uuid_12345'
}

/** §3.2 lines 46-52, 57-65, 70-77, 82-89, 94-102. */
export const QR_SCAN = { event_name: 'qr_scan', table_code: 'TBL001-QR789', store_id: 'store_001', source_channel: 'wechat', scan_result: 'success' }
export const SESSION_START = { event_name: 'session_start', ...SESSION_START_PROPS }
export const BILLING_FROZEN = { event_name: 'billing_frozen', session_id: 'sess_xyz789', amount: 4500, minutes: 90, rules_applied_count: 2, billing_rules: ['hourly_rate', 'member_discount'] }
export const PAYMENT_SUCCESS = { event_name: 'payment_success', payment_id: 'pay_xyz123', amount: 4500, channel: 'wechat', coupon_used: true, activity_tags: ['new_user', 'weekend_promo'] }
export const HEARTBEAT = { event_name: 'heartbeat_receive', device_id: 'dev_table_01', table_id: 'tbl_001', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60 }

/** §7.1 lines 176-179, `ZssTracker.track('qr_scan', {...})`, as the SDK posts it to /api/track in §4.2's shape. */
export const SDK_QR_SCAN = { event_name: 'qr_scan', event_time: '2024-01-15T10:30:45.123Z', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat' } }

// ------------------------------------------------------------ seed 000 (escort platform), 000_9c9d0b55f72828bd.txt

/** Ids as the SDK generates them: eventId line 446, sessionId line 450, deviceId line 456 (random parts filled in). */
export const EVENT_ID = '1734567890123-k3j9x2p1q'
export const SESSION_ID = 'session-1734567890123-f5g6h7i8j'
export const DEVICE_ID = 'device-1734567890123-a1b2c3d4e'

/**
 * `track()` lines 378-390 with getDeviceInfo lines 462-469 and getLocationInfo lines 472-476
 * (Taro system info filled in: model, platform, system, version); `escortId` is undefined
 * until setUser, so JSON leaves it out.
 */
export function sdkEvent(eventName: string, properties: Record<string, unknown>, eventId = EVENT_ID): Record<string, unknown> {
  return {
    eventId, eventName, eventTime: '2024-12-11T08:00:00.000Z', userId: 'usr_1', deviceId: DEVICE_ID, sessionId: SESSION_ID,
    platform: 'miniapp', deviceType: 'iPhone 14', osName: 'ios', osVersion: 'iOS 17.2', appVersion: '8.0.44', cityCode: '310100',
    properties
  }
}

/** trackPageView lines 401-407 as page-tracking calls it, line 510. */
export const PAGE_VIEW_PROPS = { pagePath: '/pages/index/index', pageTitle: '首页', referrer: '' }
/** trackClick lines 410-416 (element id and text filled in). */
export const CLICK_PROPS = { elementId: 'btn_book', elementText: '立即预约' }

/** trackBusinessEvent lines 591-604, the server's own events (properties and context filled in). */
export const SERVER_EVENT = {
  eventId: '1734567890456-q8w7e6r5t', eventName: 'order_paid', eventTime: '2024-12-11T08:05:00.000Z', userId: 'usr_1',
  deviceId: 'server', sessionId: 'server', platform: 'server', properties: { paymentMethod: 'wechat', amount: 19900, orderId: 'ord_1' }
}

/** Every field of the TrackingEvent interface, lines 117-151 (values filled in). */
export const FULL_EVENT = {
  ...sdkEvent('order_created', { orderId: 'ord_1', orderNo: 'NO20241211001', amount: 19900, serviceId: 'svc_1' }),
  escortId: 'esc_1', latitude: 31.23, longitude: 121.47, source: 'wechat', campaign: 'winter', referrer: 'share',
  utmSource: 'moments', utmMedium: 'social', utmCampaign: 'winter_2024'
}

/** §4.1 lines 251-300: each event with its key properties, camelCase as listed (values filled in). */
export const KEY_PROPERTIES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['page_view', PAGE_VIEW_PROPS], ['page_leave', { pagePath: '/pages/index/index', duration: 35 }],
  ['button_click', { buttonId: 'btn_book', buttonText: '立即预约', pagePath: '/pages/index/index' }], ['button_click', CLICK_PROPS],
  ['form_submit', { formId: 'f1', formName: 'booking', success: true }], ['search', { keyword: '协和医院', resultCount: 12 }],
  ['filter_change', { filterType: 'hospital', filterValue: 'h_001' }],
  ['order_created', { orderId: 'ord_1', orderNo: 'NO20241211001', amount: 19900, serviceId: 'svc_1' }],
  ['order_paid', { orderId: 'ord_1', paymentMethod: 'wechat', amount: 19900 }], ['order_cancelled', { orderId: 'ord_2', cancelReason: '行程变更' }],
  ['order_completed', { orderId: 'ord_1', duration: 180, rating: 5 }], ['escort_register', { escortId: 'esc_1', phone: '13800138000' }],
  ['escort_reviewed', { escortId: 'esc_1', result: 'approved', reviewTime: '2024-12-11T10:00:00+08:00' }],
  ['escort_work_status_change', { escortId: 'esc_1', fromStatus: 'offline', toStatus: 'online' }],
  ['order_grab', { orderId: 'ord_1', escortId: 'esc_1', success: true }],
  ['order_arrive', { orderId: 'ord_1', escortId: 'esc_1', arriveTime: '2024-12-11T09:00:00+08:00' }],
  ['coupon_claimed', { couponId: 'cp_1', couponType: 'discount', source: 'home_banner' }],
  ['coupon_used', { couponId: 'cp_1', orderId: 'ord_1', discount: 2000 }], ['points_earned', { userId: 'usr_1', points: 100, source: 'order' }],
  ['points_used', { userId: 'usr_1', points: 50, orderId: 'ord_1' }], ['membership_upgraded', { userId: 'usr_1', fromLevel: 'silver', toLevel: 'gold' }],
  ['api_call', { apiPath: '/api/orders', method: 'GET', duration: 123, status: 200 }],
  ['page_load', { pagePath: '/pages/index/index', loadTime: 850, resourceCount: 23 }],
  ['error_occurred', { errorType: 'TypeError', errorMessage: 'x is undefined', pagePath: '/pages/index/index' }]
]

// ------------------------------------------------------------ seed 002 (business statistics), 002_6c2894ca90b4253c.txt

/** §4.2.1 lines 210-219. */
export const REPORT_PAGE_VIEW = {
  event_type: 'page_view', user_id: '10001', page_url: '/user-management', page_title: '用户管理',
  timestamp: '2024-01-15 10:00:00', device_type: 'pc', channel: 'official', session_id: 'abc123'
}

/** §4.2.2 lines 238-246. */
export const REPORT_MEMBER_PURCHASE = {
  event_type: 'member_purchase', user_id: '10001', order_id: 'OD001', amount: 299, member_type: 'monthly',
  payment_method: 'wechat', timestamp: '2024-01-15 10:00:00'
}
