import { describe, expect, it } from 'vitest'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { validate } from '../../../processors/pipeline/validate.js'
import { canonical, context, smallPlan } from './fixtures.js'

const accepting = context({ plan: smallPlan('accept') })
const rejecting = context({ plan: smallPlan('reject') })
const closed = context({ plan: smallPlan('accept', false) })
const shipped = context()

const refused = (code: string, path: string, message: string) => ({ ok: false, rejection: { code, path, message } })
const order = (properties: Record<string, unknown>): CanonicalEvent => canonical({ eventName: 'order', properties })

describe('validate: unplanned events', () => {
  it('refuses an event the plan does not list when the plan says reject', () => {
    expect(validate(canonical({ eventName: 'mystery' }), rejecting))
      .toEqual(refused('unplanned_event', '/event_name', 'mystery is not in the tracking plan'))
  })

  it('refuses unplanned events with the shipped plan (unplanned: reject)', () => {
    expect(validate(canonical({ eventName: 'tap_dance' }), shipped))
      .toEqual(refused('unplanned_event', '/event_name', 'tap_dance is not in the tracking plan'))
  })

  it('accepts an unplanned event and flags it when the plan says accept, keeping earlier flags', () => {
    const event = canonical({ eventName: 'mystery', properties: { anything: [1, { goes: true }] }, flags: ['suspect_batch'] })
    expect(validate(event, accepting)).toEqual({ ok: true, event: { ...event, flags: ['suspect_batch', 'unplanned'] } })
    expect(event.flags).toEqual(['suspect_batch'])
  })
})

describe('validate: planned events', () => {
  it('passes a valid event through unchanged', () => {
    const event = order({ order_id: 'o1', amount: 4500, method: 'wechat', tags: ['a'], shipping: { city: 'Shanghai' } })
    expect(validate(event, accepting)).toEqual({ ok: true, event })
  })

  it('passes an event whose plan entry has no properties', () => {
    const event = canonical({ eventName: 'ping', properties: { free: 'form' } })
    expect(validate(event, accepting)).toEqual({ ok: true, event })
  })

  it('refuses a missing required property as required_missing', () => {
    expect(validate(order({ order_id: 'o1' }), accepting)).toEqual(refused('required_missing', '/properties/amount', 'amount is required'))
  })

  it('refuses a wrong type as type_mismatch', () => {
    expect(validate(order({ order_id: 'o1', amount: '4500' }), accepting)).toEqual(refused('type_mismatch', '/properties/amount', 'must be integer'))
    expect(validate(order({ order_id: 'o1', amount: 45.5 }), accepting)).toEqual(refused('type_mismatch', '/properties/amount', 'must be integer'))
    expect(validate(order({ order_id: 'o1', amount: 1, tags: ['a', 3] }), accepting)).toEqual(refused('type_mismatch', '/properties/tags/1', 'must be string'))
  })

  it('refuses a value outside its enum as enum_mismatch listing what is allowed', () => {
    expect(validate(order({ order_id: 'o1', amount: 1, method: 'cash' }), accepting))
      .toEqual(refused('enum_mismatch', '/properties/method', 'must be one of wechat, alipay'))
  })

  it('refuses an undeclared property of an event with additional_properties: false', () => {
    const event = canonical({ eventName: 'strict_event', properties: { only: 'x', sneaky: 1 } })
    expect(validate(event, accepting)).toEqual(refused('additional_property', '/properties/sneaky', 'sneaky is not in the tracking plan'))
  })

  it('applies the plan-wide additional_properties: false unless the event overrides it', () => {
    expect(validate(order({ order_id: 'o1', amount: 1, note: 'hi' }), closed))
      .toEqual(refused('additional_property', '/properties/note', 'note is not in the tracking plan'))
    const open = canonical({ eventName: 'open_event', properties: { known: 'k', note: 'hi' } })
    expect(validate(open, closed)).toEqual({ ok: true, event: open })
  })

  it.each([
    ['maxLength', { order_id: 'o'.repeat(17), amount: 1 }, '/properties/order_id', 'maxLength: must NOT have more than 16 characters'],
    ['minimum', { order_id: 'o1', amount: -1 }, '/properties/amount', 'minimum: must be >= 0'],
    ['maxItems', { order_id: 'o1', amount: 1, tags: ['a', 'b', 'c'] }, '/properties/tags', 'maxItems: must NOT have more than 2 items']
  ])('refuses a %s violation as constraint_violation', (_keyword, properties, path, message) => {
    expect(validate(order(properties), accepting)).toEqual(refused('constraint_violation', path, message))
  })

  it('refuses a bad format as constraint_violation', () => {
    expect(validate(canonical({ eventName: 'stamped', properties: { at: 'yesterday' } }), accepting))
      .toEqual(refused('constraint_violation', '/properties/at', 'format: must match format "date-time"'))
    const ok = canonical({ eventName: 'stamped', properties: { at: '2024-01-15T10:30:45Z' } })
    expect(validate(ok, accepting)).toEqual({ ok: true, event: ok })
  })

  it('refuses a pattern violation of the shipped plan as constraint_violation', () => {
    expect(validate(canonical({ eventName: 'card_bound', userId: 'u1', properties: { card_last4: '12a4' } }), shipped))
      .toEqual(refused('constraint_violation', '/properties/card_last4', 'pattern: must match pattern "^[0-9]{4}$"'))
  })

  it('does not coerce types (a numeric string amount is refused)', () => {
    expect(validate(canonical({ eventName: 'billing_frozen', properties: { session_id: 's', amount: '4500' } }), shipped))
      .toEqual(refused('type_mismatch', '/properties/amount', 'must be integer'))
  })
})

describe('validate: canonical fields the plan declares', () => {
  it('finds required canonical fields at the top level', () => {
    const event = canonical({ eventName: 'visit', userId: 'u1', storeId: 's1' })
    expect(validate(event, accepting)).toEqual({ ok: true, event })
  })

  it('finds them in properties too', () => {
    const event = canonical({ eventName: 'visit', properties: { user_id: 'u1', store_id: 's1' } })
    expect(validate(event, accepting)).toEqual({ ok: true, event })
  })

  it('reports a canonical field missing from both places under /properties', () => {
    expect(validate(canonical({ eventName: 'visit', userId: 'u1' }), accepting))
      .toEqual(refused('required_missing', '/properties/store_id', 'store_id is required'))
  })

  it('checks the top-level value against the plan\'s constraints', () => {
    expect(validate(canonical({ eventName: 'visit', userId: 'u'.repeat(9), storeId: 's1' }), accepting))
      .toEqual(refused('constraint_violation', '/properties/user_id', 'maxLength: must NOT have more than 8 characters'))
  })

  it('prefers the value inside properties over the top-level one', () => {
    const event = canonical({ eventName: 'visit', userId: 'ok', storeId: 's1', properties: { user_id: 'much-too-long' } })
    expect(validate(event, accepting))
      .toEqual(refused('constraint_violation', '/properties/user_id', 'maxLength: must NOT have more than 8 characters'))
  })

  it('does not add undeclared canonical fields, so additional_properties: false ignores them', () => {
    const event = canonical({ eventName: 'strict_event', userId: 'u1', storeId: 's1', deviceId: 'd1', sessionId: 'x', properties: { only: 'y' } })
    expect(validate(event, accepting)).toEqual({ ok: true, event })
  })

  it('does not write the filled-in view back into the event', () => {
    const event = canonical({ eventName: 'heartbeat_receive', deviceId: 'dev_table_01', properties: { online: 1 } })
    expect(validate(event, shipped)).toEqual({ ok: true, event })
    expect(event.properties).toEqual({ online: 1 })
  })

  it('refuses session_start of the shipped plan without its store', () => {
    const event = canonical({ eventName: 'session_start', sessionId: 'sess_1', properties: { table_id: 'tbl_001' } })
    expect(validate(event, shipped)).toEqual(refused('required_missing', '/properties/store_id', 'store_id is required'))
  })
})
