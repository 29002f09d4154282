/**
 * Every seed example, shaped by its route's shape and fed to the real pipeline with the shipped
 * tracking plan, is accepted.
 */
import { describe, expect, it } from 'vitest'
import { billiardsTrack } from '../../../gateway/http/shapes/billiards.js'
import { escortBatch, escortSingle } from '../../../gateway/http/shapes/escort.js'
import { reportBatch, reportSingle } from '../../../gateway/http/shapes/report.js'
import type { ShapeResult } from '../../../gateway/http/shapes/shape.js'
import { processBatch, type ProcessedBatch } from '../../../processors/pipeline/pipeline.js'
import { context } from '../../processors/pipeline/fixtures.js'
import {
  BILLING_FROZEN, COMMON, FULL_EVENT, HEARTBEAT, KEY_PROPERTIES, PAYMENT_SUCCESS, QR_SCAN, REPORT_MEMBER_PURCHASE, REPORT_PAGE_VIEW,
  SDK_QR_SCAN, SERVER_EVENT, SESSION_START, SESSION_START_PROPS, TRACK_BODY, sdkEvent
} from './seed-payloads.js'

const opts = { timeZone: 'Asia/Shanghai' }

/** The shaped events through the pipeline, after checking the shape refused none of them. */
function run(result: ShapeResult): ProcessedBatch {
  if (!result.ok) throw new Error(`not the shape: ${result.path} ${result.message}`)
  expect(result.batch.rejections).toEqual(new Map())
  return processBatch(result.batch.events, context({ schemaVersion: result.batch.schemaVersion }))
}

const names = (b: ProcessedBatch): string[] => b.accepted.map((a) => a.event.eventName)

describe('seed 001 through billiardsTrack and the pipeline', () => {
  it('accepts §4.2\'s body with the §3.2 session_start attributes in its placeholder', () => {
    const batch = run(billiardsTrack({ ...TRACK_BODY, events: [{ ...TRACK_BODY.events[0], properties: SESSION_START_PROPS }] }, opts))
    expect(batch.refused).toEqual([])
    expect(batch.accepted[0]?.event).toMatchObject({ eventName: 'session_start', eventId: 'k:session_start:sess_xyz789', storeId: 'store_001', schemaVersion: 'v1.0' })
  })

  it('refuses §4.2\'s body with its placeholder left empty: session_start needs its ids', () => {
    expect(run(billiardsTrack(TRACK_BODY, opts)).refused).toEqual([
      { index: 0, eventId: null, eventName: 'session_start', rejection: { code: 'required_missing', path: '/properties/session_id', message: 'session_id is required' } }
    ])
  })

  it('accepts every §3.2 event with the §3.1 common fields, §7.1\'s SDK call and a device heartbeat stamped with ts', () => {
    const events = [QR_SCAN, SESSION_START, BILLING_FROZEN, PAYMENT_SUCCESS, HEARTBEAT].map((e) => ({ ...COMMON, ...e }))
    const batch = run(billiardsTrack({ events: [...events, SDK_QR_SCAN, { ...HEARTBEAT, ts: 1705314645123 }], schema_version: 'v1.0' }, opts))
    expect(batch.refused).toEqual([])
    expect(names(batch)).toEqual(['qr_scan', 'session_start', 'billing_frozen', 'payment_success', 'heartbeat_receive', 'qr_scan', 'heartbeat_receive'])
    expect(batch.accepted[6]?.event).toMatchObject({ deviceId: 'dev_table_01', eventTime: 1705314645123, properties: { online: 1, latency_ms: 45 } })
  })
})

describe('seed 000 through escortBatch / escortSingle and the pipeline', () => {
  it('accepts every §4.1 event with its key properties, as the SDK sends them', () => {
    const events = KEY_PROPERTIES.map(([name, props], i) => sdkEvent(name, props, `1734567890123-k3j9x2p${i}`))
    const batch = run(escortBatch({ events }, opts))
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => [a.event.eventName, a.event.platform])).toEqual(KEY_PROPERTIES.map(([name]) => [name, 'miniprogram']))
  })

  it('accepts the server\'s own event and a TrackingEvent with every field, with ids and idempotency from snake-cased keys', () => {
    const batch = run(escortBatch({ events: [SERVER_EVENT, FULL_EVENT] }, opts))
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => [a.event.eventId, a.event.platform, a.event.properties.order_id])).toEqual([
      ['1734567890456-q8w7e6r5t', 'server', 'ord_1'], ['1734567890123-k3j9x2p1q', 'miniprogram', 'ord_1']
    ])
    expect(batch.accepted[1]?.event.properties).toMatchObject({ escort_id: 'esc_1', city_code: '310100', utm_source: 'moments', os_name: 'ios' })
  })

  it('accepts one TrackingEvent posted alone', () => {
    const batch = run(escortSingle(sdkEvent('page_view', { pagePath: '/pages/index/index', pageTitle: '首页', referrer: '' }), opts))
    expect(batch.refused).toEqual([])
    expect(batch.accepted[0]?.event.properties).toEqual({ page_path: '/pages/index/index', page_title: '首页', referrer: '', os_name: 'ios', os_version: 'iOS 17.2', city_code: '310100' })
  })
})

describe('seed 002 through reportSingle / reportBatch and the pipeline', () => {
  it('accepts §4.2.1\'s page_view and §4.2.2\'s member_purchase, amount in fen, time in UTC+8', () => {
    expect(run(reportSingle(REPORT_MEMBER_PURCHASE, opts)).refused).toEqual([])
    const batch = run(reportBatch({ events: [REPORT_PAGE_VIEW, REPORT_MEMBER_PURCHASE] }, opts))
    expect(batch.refused).toEqual([])
    expect(batch.accepted.map((a) => [a.event.eventName, a.event.eventTime, a.event.properties.amount])).toEqual([
      ['page_view', Date.parse('2024-01-15T02:00:00Z'), undefined], ['member_purchase', Date.parse('2024-01-15T02:00:00Z'), 29900]
    ])
    expect(batch.accepted[1]?.event.eventId).toBe('k:member_purchase:OD001')
  })

  it('accepts each of 附录A\'s event types under its plan name, with the fields the plan requires', () => {
    const at = { user_id: '10001', timestamp: '2024-01-15 10:00:00' }
    const records = [
      { event_type: 'user_register' }, { event_type: 'user_login' }, { event_type: 'real_name_auth', auth_method: 'id_card' },
      { event_type: 'bind_card', card_type: 'debit' }, { event_type: 'order_create', order_id: 'OD002', amount: 1000, status: 'success' },
      { event_type: 'payment_success', payment_id: 'PAY001', order_id: 'OD001', amount: 299, channel: 'wechat' },
      { event_type: 'deduction_success', deduction_id: 'DD001', amount: 29.9, deduction_mode: 'auto' }
    ].map((r) => ({ ...at, ...r }))
    const batch = run(reportBatch({ events: records }, opts))
    expect(batch.refused).toEqual([])
    expect(names(batch)).toEqual(['user_register', 'user_login', 'real_name_verified', 'card_bound', 'credit_order_created', 'payment_success', 'member_deduction'])
    expect(batch.accepted[6]?.event.properties).toEqual({ deduction_id: 'DD001', amount: 2990, deduction_mode: 'auto', status: 'success' })
  })
})
