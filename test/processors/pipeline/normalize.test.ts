import { describe, expect, it } from 'vitest'
import { normalize } from '../../../processors/pipeline/normalize.js'
import { canonical, context, EVENT_TIME, EVENT_TIME_ISO, RECEIVED_AT } from './fixtures.js'

const ctx = context()

describe('normalize: the /v1/batch shape to a canonical event', () => {
  it('maps every canonical field and keeps properties', () => {
    const raw = {
      event_id: '1734567890123-k3j9x2p1q',
      event_name: 'session_start',
      event_time: EVENT_TIME_ISO,
      user_id: 'usr_abc123',
      session_id: 'sess_xyz789',
      store_id: 'store_001',
      device_id: 'dev_terminal_01',
      platform: 'h5',
      app_version: 'v1.2.3',
      channel: 'wechat_ad',
      device_type: 'mobile',
      correlation_id: 'req_uuid_12345',
      properties: { table_id: 'tbl_001', start_type: 'immediate' }
    }
    expect(normalize(raw, ctx)).toEqual({
      ok: true,
      event: canonical({
        eventId: '1734567890123-k3j9x2p1q',
        eventName: 'session_start',
        userId: 'usr_abc123',
        sessionId: 'sess_xyz789',
        storeId: 'store_001',
        deviceId: 'dev_terminal_01',
        platform: 'h5',
        appVersion: 'v1.2.3',
        channel: 'wechat_ad',
        deviceType: 'mobile',
        correlationId: 'req_uuid_12345',
        properties: { table_id: 'tbl_001', start_type: 'immediate' }
      })
    })
  })

  it('builds a minimal event with empty id, null fields, empty properties and no flags', () => {
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO }, ctx)).toEqual({ ok: true, event: canonical() })
  })

  it('takes appId, source, sentAt, receivedAt and schemaVersion from the batch context', () => {
    const sentAt = RECEIVED_AT - 500
    const mqtt = context({ appId: 'devices', source: 'mqtt', sentAt, schemaVersion: null, receivedAt: RECEIVED_AT + 1 })
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME }, mqtt)).toEqual({
      ok: true,
      event: canonical({ appId: 'devices', source: 'mqtt', sentAt, schemaVersion: null, receivedAt: RECEIVED_AT + 1 })
    })
  })

  it('starts occurredAt equal to eventTime with skewMs 0 even when sentAt is far off (the time step moves it)', () => {
    const result = normalize({ event_name: 'ping', event_time: EVENT_TIME }, context({ sentAt: RECEIVED_AT - 3_600_000 }))
    expect(result).toEqual({ ok: true, event: canonical({ sentAt: RECEIVED_AT - 3_600_000 }) })
  })

  it('folds extra top-level fields into properties', () => {
    const raw = { event_name: 'qr_scan', event_time: EVENT_TIME_ISO, table_code: 'TBL001-QR789', source_channel: 'wechat', nested: { a: [1, 2] } }
    expect(normalize(raw, ctx)).toEqual({
      ok: true,
      event: canonical({ eventName: 'qr_scan', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat', nested: { a: [1, 2] } } })
    })
  })

  it('lets a value inside properties win over a top-level field of the same name', () => {
    const raw = { event_name: 'ping', event_time: EVENT_TIME_ISO, amount: 1, extra: 'top', properties: { amount: 2 } }
    expect(normalize(raw, ctx)).toEqual({ ok: true, event: canonical({ properties: { amount: 2, extra: 'top' } }) })
  })

  it('does not fold reserved batch fields (sent_at, schema_version, write_key) into properties', () => {
    const raw = { event_name: 'ping', event_time: EVENT_TIME_ISO, sent_at: RECEIVED_AT, schema_version: 'v9', write_key: 'wk_secret' }
    expect(normalize(raw, ctx)).toEqual({ ok: true, event: canonical() })
  })

  it('lifts canonical ids carried inside properties and keeps them there', () => {
    const properties = { store_id: 'store_001', device_id: 'dev_1', user_id: 'usr_1', session_id: 'sess_1', table_id: 'tbl_001' }
    expect(normalize({ event_name: 'session_start', event_time: EVENT_TIME_ISO, properties }, ctx)).toEqual({
      ok: true,
      event: canonical({ eventName: 'session_start', storeId: 'store_001', deviceId: 'dev_1', userId: 'usr_1', sessionId: 'sess_1', properties })
    })
  })

  it('prefers the top-level id over one inside properties', () => {
    const raw = { event_name: 'ping', event_time: EVENT_TIME_ISO, user_id: 'top', properties: { user_id: 'inner' } }
    expect(normalize(raw, ctx)).toEqual({ ok: true, event: canonical({ userId: 'top', properties: { user_id: 'inner' } }) })
  })

  it('does not lift a non-string id from properties, nor fields other than the four ids', () => {
    const properties = { user_id: 42, platform: 'h5', channel: 'wechat', app_version: '1.0' }
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO, properties }, ctx)).toEqual({
      ok: true,
      event: canonical({ properties })
    })
  })

  it('reads numeric top-level ids as strings and null as absent', () => {
    const raw = { event_name: 'ping', event_time: EVENT_TIME_ISO, user_id: 10086, store_id: 7, device_id: null, session_id: null }
    expect(normalize(raw, ctx)).toEqual({ ok: true, event: canonical({ userId: '10086', storeId: '7' }) })
  })

  it('reads the escort platform\'s miniapp as miniprogram', () => {
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO, platform: 'miniapp' }, ctx))
      .toEqual({ ok: true, event: canonical({ platform: 'miniprogram' }) })
  })

  it.each(['h5', 'miniprogram', 'admin', 'server', 'device'])('keeps platform %s as sent', (platform) => {
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO, platform }, ctx))
      .toEqual({ ok: true, event: canonical({ platform }) })
  })

  it('accepts event names with dots, colons and dashes and up to 128 characters', () => {
    for (const name of ['session.start', 'message.ai', 'a:b-c_d', 'A' + 'x'.repeat(127)]) {
      expect(normalize({ event_name: name, event_time: EVENT_TIME_ISO }, ctx)).toEqual({ ok: true, event: canonical({ eventName: name }) })
    }
  })

  it('accepts event ids of 1 and 128 characters', () => {
    for (const id of ['x', 'y'.repeat(128)]) {
      expect(normalize({ event_id: id, event_name: 'ping', event_time: EVENT_TIME_ISO }, ctx)).toEqual({ ok: true, event: canonical({ eventId: id }) })
    }
  })

  it('reads epoch milliseconds, epoch seconds and offset times', () => {
    for (const t of [EVENT_TIME, EVENT_TIME / 1000, String(EVENT_TIME), '2024-01-15T18:30:45.123+08:00']) {
      expect(normalize({ event_name: 'ping', event_time: t }, ctx)).toEqual({ ok: true, event: canonical() })
    }
  })
})

describe('normalize: rejections', () => {
  const refused = (code: string, path: string, message: string) => ({ ok: false, rejection: { code, path, message } })
  const NOT_OBJECT = refused('not_an_object', '', 'an event must be a JSON object')
  const BAD_NAME = refused('bad_event_name', '/event_name', 'event_name must start with a letter and hold at most 128 letters, digits, _ . : -')
  const BAD_ID = refused('bad_event_id', '/event_id', 'event_id must be a string of 1 to 128 characters')
  const BAD_TIME = refused('bad_timestamp', '/event_time', 'event_time must be ISO 8601 with a zone, or epoch milliseconds')

  it.each([
    ['null', null], ['an array', [{ event_name: 'ping' }]], ['a string', 'ping'], ['a number', 42], ['a boolean', true], ['undefined', undefined]
  ])('refuses %s as not_an_object', (_what, raw) => {
    expect(normalize(raw, ctx)).toEqual(NOT_OBJECT)
  })

  it('refuses a missing event_name as required_missing', () => {
    expect(normalize({ event_time: EVENT_TIME_ISO }, ctx)).toEqual(refused('required_missing', '/event_name', 'event_name must be a string'))
  })

  it.each([['a number', 42], ['null', null], ['an object', { name: 'x' }]])('refuses event_name as %s as type_mismatch', (_what, name) => {
    expect(normalize({ event_name: name, event_time: EVENT_TIME_ISO }, ctx)).toEqual(refused('type_mismatch', '/event_name', 'event_name must be a string'))
  })

  it.each([
    ['empty', ''], ['starting with a digit', '1st_event'], ['starting with an underscore', '_x'], ['with a space', 'page view'],
    ['with a slash', 'a/b'], ['in Chinese', '页面浏览'], ['of 129 characters', 'a'.repeat(129)]
  ])('refuses an event_name %s as bad_event_name', (_what, name) => {
    expect(normalize({ event_name: name, event_time: EVENT_TIME_ISO }, ctx)).toEqual(BAD_NAME)
  })

  it.each([['empty', ''], ['of 129 characters', 'z'.repeat(129)], ['a number', 12345], ['an object', {}]])(
    'refuses an event_id %s as bad_event_id', (_what, id) => {
      expect(normalize({ event_id: id, event_name: 'ping', event_time: EVENT_TIME_ISO }, ctx)).toEqual(BAD_ID)
    })

  it('reads an event_id null as absent (SDKs send null for an id they lack)', () => {
    const result = normalize({ event_id: null, event_name: 'ping', event_time: EVENT_TIME_ISO }, ctx)
    expect(result.ok && result.event.eventId).toBe('')
  })

  it('refuses a missing event_time as required_missing', () => {
    expect(normalize({ event_name: 'ping' }, ctx)).toEqual(refused('required_missing', '/event_time', 'event_time is required'))
  })

  it.each([
    ['without a zone', '2024-01-15T10:30:45.123'], ['as local text', '2024-01-15 10:30:45'], ['null', null], ['a word', 'yesterday'], ['zero', 0], ['an object', {}]
  ])('refuses an event_time %s as bad_timestamp', (_what, t) => {
    expect(normalize({ event_name: 'ping', event_time: t }, ctx)).toEqual(BAD_TIME)
  })

  it.each([['an array', [1]], ['null', null], ['a string', '{}'], ['a number', 1]])('refuses properties as %s as type_mismatch', (_what, properties) => {
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO, properties }, ctx))
      .toEqual(refused('type_mismatch', '/properties', 'properties must be an object'))
  })

  it.each([
    ['user_id', { id: 1 }], ['session_id', true], ['store_id', ['s']], ['device_id', false], ['app_version', {}],
    ['channel', []], ['device_type', true], ['correlation_id', {}], ['platform', 3]
  ])('refuses a non-string %s as type_mismatch naming the field', (field, value) => {
    expect(normalize({ event_name: 'ping', event_time: EVENT_TIME_ISO, [field]: value }, ctx))
      .toEqual(refused('type_mismatch', `/${field}`, `${field} must be a string`))
  })

  it('checks in order: name, id, time, properties, string fields', () => {
    const allWrong = { event_name: '1x', event_id: '', event_time: 'x', properties: [], user_id: {} }
    expect(normalize(allWrong, ctx)).toEqual(BAD_NAME)
    expect(normalize({ ...allWrong, event_name: 'ping' }, ctx)).toEqual(BAD_ID)
    expect(normalize({ ...allWrong, event_name: 'ping', event_id: 'e1' }, ctx)).toEqual(BAD_TIME)
    expect(normalize({ ...allWrong, event_name: 'ping', event_id: 'e1', event_time: EVENT_TIME }, ctx))
      .toEqual(refused('type_mismatch', '/properties', 'properties must be an object'))
    expect(normalize({ ...allWrong, event_name: 'ping', event_id: 'e1', event_time: EVENT_TIME, properties: {} }, ctx))
      .toEqual(refused('type_mismatch', '/user_id', 'user_id must be a string'))
  })
})

describe('regressions', () => {
  // tracking-plan/default.yaml: payment_success `channel` is "the payment channel, not the canonical
  // acquisition channel: it stays in properties". Sent flat, as seed 001 §3.2 writes it, normalize
  // takes it as the canonical acquisition channel and it is gone from properties.
  it('keeps a flat payment_success channel in properties (flat-payment-channel-lost)', () => {
    const raw = { event_name: 'payment_success', event_time: EVENT_TIME_ISO, payment_id: 'pay_xyz123', amount: 4500, channel: 'wechat' }
    const result = normalize(raw, ctx)
    expect(result.ok && result.event.properties).toEqual({ payment_id: 'pay_xyz123', amount: 4500, channel: 'wechat' })
  })
})
