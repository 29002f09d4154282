import { describe, expect, it } from 'vitest'
import { REPORT_EVENT_NAMES, reportBatch, reportRecord, reportSingle } from '../../../gateway/http/shapes/report.js'
import { REPORT_MEMBER_PURCHASE, REPORT_PAGE_VIEW } from './seed-payloads.js'

const shanghai = { timeZone: 'Asia/Shanghai' }
const envelope = { rejections: new Map(), sentAt: undefined, schemaVersion: null, writeKey: null }

/** Seed 002 §4.2.1 (lines 210-219) and §4.2.2 (lines 238-246) as the pipeline gets them. */
const PAGE_VIEW = {
  event_name: 'page_view', user_id: '10001', page_url: '/user-management', page_title: '用户管理',
  event_time: '2024-01-15T10:00:00+08:00', device_type: 'pc', channel: 'official', session_id: 'abc123'
}
const MEMBER_PURCHASE = {
  event_name: 'member_purchase', user_id: '10001', order_id: 'OD001', amount: 29900, member_type: 'monthly',
  payment_method: 'wechat', event_time: '2024-01-15T10:00:00+08:00'
}

describe('reportSingle, POST /api/report (seed 002 §8.1.1, line 484; §11.4.1, line 954)', () => {
  it.each([[REPORT_PAGE_VIEW, PAGE_VIEW], [REPORT_MEMBER_PURCHASE, MEMBER_PURCHASE]])('turns the seed\'s record %#', (record, event) => {
    expect(reportSingle(record, shanghai)).toEqual({ ok: true, batch: { ...envelope, events: [event] } })
  })

  it('takes a write key from beside the record', () => {
    expect(reportSingle({ ...REPORT_PAGE_VIEW, write_key: 'wk_web' }, shanghai)).toEqual({ ok: true, batch: { ...envelope, events: [PAGE_VIEW], writeKey: 'wk_web' } })
  })

  it.each([[null, ''], [[REPORT_PAGE_VIEW], ''], ['page_view', ''], [{ events: [REPORT_PAGE_VIEW] }, '/events']])('refuses %j as not this shape, at %j', (body, path) => {
    expect(reportSingle(body, shanghai)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})

describe('reportBatch, POST /api/report/batch { events } (seed 002 §11.2.1, lines 835-841)', () => {
  it('turns both seed records, in order', () => {
    expect(reportBatch({ events: [REPORT_PAGE_VIEW, REPORT_MEMBER_PURCHASE] }, shanghai)).toEqual({ ok: true, batch: { ...envelope, events: [PAGE_VIEW, MEMBER_PURCHASE] } })
  })

  it('refuses bad records one by one, keeping each as converted as it could be', () => {
    const body = { events: [{ ...REPORT_MEMBER_PURCHASE, amount: 12.345 }, REPORT_PAGE_VIEW, { ...REPORT_PAGE_VIEW, timestamp: '2024-02-30 10:00:00' }, 7] }
    expect(reportBatch(body, shanghai)).toEqual({
      ok: true,
      batch: {
        ...envelope,
        events: [{ ...MEMBER_PURCHASE, amount: 12.345 }, PAGE_VIEW, { ...PAGE_VIEW, event_time: '2024-02-30 10:00:00' }, 7],
        rejections: new Map([
          [0, { code: 'bad_amount', path: '/amount', message: 'amount must be yuan with at most 2 decimals, not 12.345' }],
          [2, { code: 'bad_timestamp', path: '/timestamp', message: '"2024-02-30 10:00:00" is not a real date and time' }]
        ])
      }
    })
  })

  it.each([[null, ''], [[REPORT_PAGE_VIEW], ''], [REPORT_PAGE_VIEW, '/events'], [{ reports: [] }, '/events']])('refuses %j as not this shape, at %j', (body, path) => {
    expect(reportBatch(body, shanghai)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})

describe('a report record', () => {
  const convert = (record: Record<string, unknown>, timeZone = 'Asia/Shanghai'): unknown => reportRecord({ event_type: 'refund', timestamp: 1705284000000, ...record }, timeZone)

  it('names each of 附录A\'s event types (lines 1026-1038) by the plan', () => {
    expect(Object.fromEntries(REPORT_EVENT_NAMES)).toEqual({
      page_view: 'page_view', user_register: 'user_register', user_login: 'user_login', real_name_auth: 'real_name_verified',
      bind_card: 'card_bound', member_purchase: 'member_purchase', order_create: 'credit_order_created',
      payment_success: 'payment_success', deduction_success: 'member_deduction'
    })
  })

  it('says a deduction_success succeeded unless it says otherwise', () => {
    expect(convert({ event_type: 'deduction_success', amount: 30 })).toEqual({ event: { event_name: 'member_deduction', status: 'success', amount: 3000, event_time: 1705284000000 } })
    expect(convert({ event_type: 'deduction_success', amount: 30, status: 'retrying' })).toEqual({ event: { event_name: 'member_deduction', status: 'retrying', amount: 3000, event_time: 1705284000000 } })
  })

  it('passes types it does not list, and plan names sent as event_name', () => {
    expect(convert({ amount: '0.5' })).toEqual({ event: { event_name: 'refund', amount: 50, event_time: 1705284000000 } })
    expect(convert({ event_type: undefined, event_name: 'bind_card' })).toEqual({ event: { event_name: 'card_bound', event_time: 1705284000000 } })
  })

  it.each([[299, 29900], [29.9, 2990], [0.1, 10], ['12.34', 1234], [-5, -500], [null, null]])('converts amount %j yuan to %j fen', (amount, fen) => {
    expect(convert({ amount })).toEqual({ event: { event_name: 'refund', amount: fen, event_time: 1705284000000 } })
  })

  it.each([1e21, 12.345, '1,000', true])('refuses amount %j', (amount) => {
    expect(convert({ amount })).toEqual({ event: { event_name: 'refund', amount, event_time: 1705284000000 }, rejection: { code: 'bad_amount', path: '/amount', message: expect.stringMatching(/^amount must be/) } })
  })

  it('passes epoch milliseconds and zoned strings as sent, and reads an event_time sent instead of timestamp', () => {
    expect(convert({ timestamp: '2024-01-15T02:00:00Z' })).toEqual({ event: { event_name: 'refund', event_time: '2024-01-15T02:00:00Z' } })
    expect(convert({ timestamp: undefined, event_time: '2024-01-15 10:00' })).toEqual({ event: { event_name: 'refund', event_time: '2024-01-15T10:00+08:00' } })
  })

  it('refuses a record without a time, and a local time in a DST gap', () => {
    expect(convert({ timestamp: undefined })).toEqual({ event: { event_name: 'refund' }, rejection: { code: 'required_missing', path: '/timestamp', message: 'timestamp is required' } })
    expect(convert({ timestamp: '2024-03-10 02:30:00' }, 'America/New_York')).toEqual({
      event: { event_name: 'refund', event_time: '2024-03-10 02:30:00' },
      rejection: { code: 'bad_timestamp', path: '/timestamp', message: '2024-03-10 02:30:00 does not exist in America/New_York: clocks went from 02:00:00 to 03:00:00 (-05:00 to -04:00) that day' }
    })
  })
})
