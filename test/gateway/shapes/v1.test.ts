import { describe, expect, it } from 'vitest'
import { v1Batch, v1Track } from '../../../gateway/http/shapes/v1.js'
import { COMMON, QR_SCAN, TRACK_BODY } from './seed-payloads.js'

const opts = { timeZone: 'Asia/Shanghai' }

describe('v1Batch', () => {
  it('hands the events over as sent, with the envelope read beside them (seed 001 §4.2, lines 121-130)', () => {
    expect(v1Batch(TRACK_BODY, opts)).toEqual({
      ok: true,
      batch: { events: TRACK_BODY.events, rejections: new Map(), sentAt: undefined, schemaVersion: 'v1.0', writeKey: null }
    })
  })

  it('reads sent_at raw and a write key sent in the body', () => {
    const body = { events: [{ ...COMMON, ...QR_SCAN }, 'not an event'], sent_at: 1705314645123, write_key: 'wk_live_1' }
    expect(v1Batch(body, opts)).toEqual({
      ok: true,
      batch: { events: body.events, rejections: new Map(), sentAt: 1705314645123, schemaVersion: null, writeKey: 'wk_live_1' }
    })
  })

  it('leaves a schema_version or write_key that is not a string unread', () => {
    const result = v1Batch({ events: [], schema_version: 1, write_key: { k: 1 } }, opts)
    expect(result).toEqual({ ok: true, batch: { events: [], rejections: new Map(), sentAt: undefined, schemaVersion: null, writeKey: null } })
  })

  it.each([
    [null, ''], [[], ''], ['{"events":[]}', ''], [42, ''],
    [{}, '/events'], [{ events: { 0: QR_SCAN } }, '/events'], [{ event_name: 'qr_scan' }, '/events']
  ])('refuses %j as not this shape, at %j', (body, path) => {
    expect(v1Batch(body, opts)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})

describe('v1Track', () => {
  it('takes the body as one event and moves the envelope fields out of it', () => {
    const body = { ...COMMON, ...QR_SCAN, schema_version: 'v1.0', sent_at: '2024-01-15T10:30:46Z', write_key: 'wk_live_1' }
    expect(v1Track(body, opts)).toEqual({
      ok: true,
      batch: { events: [{ ...COMMON, ...QR_SCAN }], rejections: new Map(), sentAt: '2024-01-15T10:30:46Z', schemaVersion: 'v1.0', writeKey: 'wk_live_1' }
    })
  })

  // Regression: a camelCase `writeKey` (accepted by gateway/http/access.ts) stayed in the event
  // and was stored as a property, the write key in clear.
  it('moves a camelCase writeKey out of the event too', () => {
    expect(v1Track({ ...COMMON, ...QR_SCAN, writeKey: 'wk_live_1' }, opts)).toEqual({
      ok: true, batch: { events: [{ ...COMMON, ...QR_SCAN }], rejections: new Map(), sentAt: undefined, schemaVersion: null, writeKey: 'wk_live_1' }
    })
  })

  it('does not judge the event: the pipeline does', () => {
    expect(v1Track({ nothing: true }, opts)).toEqual({
      ok: true, batch: { events: [{ nothing: true }], rejections: new Map(), sentAt: undefined, schemaVersion: null, writeKey: null }
    })
  })

  it.each([[null, ''], [[QR_SCAN], ''], ['qr_scan', ''], [TRACK_BODY, '/events']])('refuses %j as not this shape, at %j', (body, path) => {
    expect(v1Track(body, opts)).toEqual({ ok: false, path, message: expect.any(String) })
  })
})
