import { describe, expect, it } from 'vitest'
import { billiardsTrack } from '../../../gateway/http/shapes/billiards.js'
import {
  BILLING_FROZEN, COMMON, HEARTBEAT, PAYMENT_SUCCESS, QR_SCAN, SDK_QR_SCAN, SESSION_START, SESSION_START_PROPS, TRACK_BODY
} from './seed-payloads.js'

const opts = { timeZone: 'Asia/Shanghai' }
const envelope = { rejections: new Map(), sentAt: undefined, writeKey: null }

describe('billiardsTrack, POST /api/track (seed 001)', () => {
  it('takes §4.2\'s body (lines 121-130) as the /v1 batch it is', () => {
    expect(billiardsTrack(TRACK_BODY, opts)).toEqual({ ok: true, batch: { ...envelope, events: TRACK_BODY.events, schemaVersion: 'v1.0' } })
  })

  it('takes the §4.2 body with the §3.2 session_start attributes (lines 57-65) in its placeholder', () => {
    const event = { ...TRACK_BODY.events[0], properties: SESSION_START_PROPS }
    expect(billiardsTrack({ ...TRACK_BODY, events: [event] }, opts)).toEqual({ ok: true, batch: { ...envelope, events: [event], schemaVersion: 'v1.0' } })
  })

  it('takes every §3.2 event flat with the §3.1 common fields (lines 30-39, 46-102), and §7.1\'s SDK call (lines 176-179)', () => {
    const events = [QR_SCAN, SESSION_START, BILLING_FROZEN, PAYMENT_SUCCESS, HEARTBEAT].map((e) => ({ ...COMMON, ...e }))
    const body = { events: [...events, SDK_QR_SCAN], schema_version: 'v1.0' }
    expect(billiardsTrack(body, opts)).toEqual({ ok: true, batch: { ...envelope, events: [...events, SDK_QR_SCAN], schemaVersion: 'v1.0' } })
  })

  it('takes one event posted alone, as a device without MQTT posts its heartbeat (§4.1 line 113)', () => {
    const body = { ...HEARTBEAT, event_time: '2024-01-15T10:30:45.123Z', write_key: 'wk_dev' }
    expect(billiardsTrack(body, opts)).toEqual({
      ok: true, batch: { ...envelope, events: [{ ...HEARTBEAT, event_time: '2024-01-15T10:30:45.123Z' }], schemaVersion: null, writeKey: 'wk_dev' }
    })
  })

  it('reads a heartbeat\'s MQTT-style ts as its event_time, alone or in a batch', () => {
    const expected = { ...HEARTBEAT, event_time: 1705314645123 }
    expect(billiardsTrack({ ...HEARTBEAT, ts: 1705314645123 }, opts)).toEqual({ ok: true, batch: { ...envelope, events: [expected], schemaVersion: null } })
    expect(billiardsTrack({ events: [{ ...HEARTBEAT, ts: 1705314645123 }] }, opts)).toEqual({ ok: true, batch: { ...envelope, events: [expected], schemaVersion: null } })
  })

  it('keeps ts as a property where it is not a heartbeat\'s time', () => {
    const events = [
      { ...HEARTBEAT, event_time: '2024-01-15T10:30:45.123Z', ts: 1 },
      { ...QR_SCAN, ts: 1 }
    ]
    expect(billiardsTrack({ events }, opts)).toEqual({ ok: true, batch: { ...envelope, events, schemaVersion: null } })
  })

  it.each([
    [null, ''], [[HEARTBEAT], ''], ['events', ''],
    [{}, '/events'], [{ events: 'qr_scan' }, '/events'], [{ events: null, event_name: 'qr_scan' }, '/events'], [{ event_name: 42 }, '/events']
  ])('refuses %j as not this shape, at %j', (body, path) => {
    expect(billiardsTrack(body, opts)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})
