import { describe, expect, it } from 'vitest'
import { escortBatch, escortSingle, snakeCase, snakeKeys } from '../../../gateway/http/shapes/escort.js'
import { CLICK_PROPS, DEVICE_ID, EVENT_ID, FULL_EVENT, PAGE_VIEW_PROPS, SERVER_EVENT, SESSION_ID, sdkEvent } from './seed-payloads.js'

const opts = { timeZone: 'Asia/Shanghai' }
const envelope = { rejections: new Map(), sentAt: undefined, schemaVersion: null, writeKey: null }

/** What every SDK event of seed 000 (track(), lines 378-390) becomes. */
const SDK_FIELDS = {
  event_id: EVENT_ID, event_time: '2024-12-11T08:00:00.000Z', user_id: 'usr_1', device_id: DEVICE_ID, session_id: SESSION_ID,
  platform: 'miniapp', device_type: 'iPhone 14', os_name: 'ios', os_version: 'iOS 17.2', app_version: '8.0.44', city_code: '310100'
}
const PAGE_VIEW = { ...SDK_FIELDS, event_name: 'page_view', properties: { page_path: '/pages/index/index', page_title: '首页', referrer: '' } }
const CLICK = { ...SDK_FIELDS, event_id: '1734567890124-m4n5b6v7c', event_name: 'button_click', properties: { element_id: 'btn_book', element_text: '立即预约' } }

describe('escortBatch, POST /tracking/events/batch (seed 000 §5.2.2, line 649)', () => {
  it('turns what the SDK\'s flush() posts, { events } (line 435), into the /v1 shape', () => {
    const body = { events: [sdkEvent('page_view', PAGE_VIEW_PROPS), sdkEvent('button_click', CLICK_PROPS, '1734567890124-m4n5b6v7c')] }
    expect(escortBatch(body, opts)).toEqual({ ok: true, batch: { ...envelope, events: [PAGE_VIEW, CLICK] } })
  })

  it('turns trackBusinessEvent\'s server event (lines 591-604)', () => {
    expect(escortBatch({ events: [SERVER_EVENT] }, opts)).toEqual({
      ok: true,
      batch: {
        ...envelope,
        events: [{
          event_id: '1734567890456-q8w7e6r5t', event_name: 'order_paid', event_time: '2024-12-11T08:05:00.000Z', user_id: 'usr_1',
          device_id: 'server', session_id: 'server', platform: 'server', properties: { payment_method: 'wechat', amount: 19900, order_id: 'ord_1' }
        }]
      }
    })
  })

  it('snake-cases every field of the TrackingEvent interface (lines 117-151)', () => {
    expect(escortBatch({ events: [FULL_EVENT] }, opts)).toEqual({
      ok: true,
      batch: {
        ...envelope,
        events: [{
          ...SDK_FIELDS, event_name: 'order_created', escort_id: 'esc_1', latitude: 31.23, longitude: 121.47, source: 'wechat', campaign: 'winter',
          referrer: 'share', utm_source: 'moments', utm_medium: 'social', utm_campaign: 'winter_2024',
          properties: { order_id: 'ord_1', order_no: 'NO20241211001', amount: 19900, service_id: 'svc_1' }
        }]
      }
    })
  })

  it('reads the envelope in either spelling and leaves what is not an object to the pipeline', () => {
    const body = { events: ['x', null], sentAt: 1733904000000, schemaVersion: 'v1.0', writeKey: 'wk_mini' }
    expect(escortBatch(body, opts)).toEqual({ ok: true, batch: { events: ['x', null], rejections: new Map(), sentAt: 1733904000000, schemaVersion: 'v1.0', writeKey: 'wk_mini' } })
  })

  it.each([[null, ''], [[sdkEvent('page_view', {})], ''], [{}, '/events'], [{ events: {} }, '/events']])('refuses %j as not this shape, at %j', (body, path) => {
    expect(escortBatch(body, opts)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})

describe('escortSingle, POST /tracking/events (seed 000 §5.2.2, line 656)', () => {
  it('turns one TrackingEvent, and takes a write key from beside it', () => {
    expect(escortSingle({ ...sdkEvent('page_view', PAGE_VIEW_PROPS), write_key: 'wk_mini' }, opts)).toEqual({
      ok: true, batch: { ...envelope, events: [PAGE_VIEW], writeKey: 'wk_mini' }
    })
  })

  it.each([[null, ''], ['page_view', ''], [{ events: [sdkEvent('page_view', {})] }, '/events']])('refuses %j as not this shape, at %j', (body, path) => {
    expect(escortSingle(body, opts)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})

describe('snake_case keys', () => {
  it.each([
    ['eventId', 'event_id'], ['utmSource', 'utm_source'], ['cityCode', 'city_code'], ['osName', 'os_name'], ['latitude', 'latitude'],
    ['pageURL', 'page_url'], ['userID', 'user_id'], ['HTTPStatus', 'http_status'], ['event_id', 'event_id'], ['page2Path', 'page2_path']
  ])('%s → %s', (key, snake) => {
    expect(snakeCase(key)).toBe(snake)
  })

  it('keeps the snake_case key as sent when both spellings are present, in either order', () => {
    expect(snakeKeys({ orderId: 'camel', order_id: 'snake' })).toEqual({ order_id: 'snake' })
    expect(snakeKeys({ order_id: 'snake', orderId: 'camel' })).toEqual({ order_id: 'snake' })
  })

  it('keeps a __proto__ key a plain key', () => {
    const out = snakeKeys(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.keys(out)).toEqual(['__proto__', 'a'])
  })
})
