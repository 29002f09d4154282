import { describe, expect, it } from 'vitest'
import { derivedId, identify } from '../../../processors/pipeline/identify.js'
import { normalize } from '../../../processors/pipeline/normalize.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { canonical, context, EVENT_TIME, RECEIVED_AT, SECOND } from './fixtures.js'

const ctx = context()

function idOf(event: CanonicalEvent): string {
  const result = identify(event, ctx)
  if (!result.ok) throw new Error(`identify refused: ${result.rejection.code}`)
  return result.event.eventId
}

/** identify after normalize, as the pipeline runs them. */
function idOfRaw(raw: Record<string, unknown>): string {
  const normalized = normalize(raw, ctx)
  if (!normalized.ok) throw new Error(`normalize refused: ${normalized.rejection.code}`)
  return idOf(normalized.event)
}

describe('identify: a client-given event_id', () => {
  it('keeps the event unchanged', () => {
    const event = canonical({ eventId: '1734567890123-k3j9x2p1q', eventName: 'payment_success', properties: { payment_id: 'pay_1', amount: 1 } })
    expect(identify(event, ctx)).toEqual({ ok: true, event })
  })
})

describe('identify: the plan\'s idempotency key replaces a missing event_id', () => {
  it('uses payment_id for payment_success', () => {
    const event = canonical({ eventName: 'payment_success', properties: { payment_id: 'pay_xyz123', amount: 4500 } })
    expect(identify(event, ctx)).toEqual({ ok: true, event: { ...event, eventId: 'k:payment_success:pay_xyz123' } })
  })

  it('uses order_id for order_created and reads a numeric key as text', () => {
    expect(idOf(canonical({ eventName: 'order_created', properties: { order_id: 'ord_1', amount: 1 } }))).toBe('k:order_created:ord_1')
    expect(idOf(canonical({ eventName: 'order_created', properties: { order_id: 90210, amount: 1 } }))).toBe('k:order_created:90210')
  })

  it('gives a retried payment the same id whenever it is retried', () => {
    const first = canonical({ eventName: 'payment_success', userId: 'u1', eventTime: EVENT_TIME, properties: { payment_id: 'pay_9', amount: 1 } })
    const retry = { ...first, eventTime: EVENT_TIME + 3_600_000, sessionId: 's2', receivedAt: RECEIVED_AT + 3_600_000 }
    expect([idOf(first), idOf(retry)]).toEqual(['k:payment_success:pay_9', 'k:payment_success:pay_9'])
  })

  it('keeps the key id within 128 characters', () => {
    const id = idOf(canonical({ eventName: 'payment_success', properties: { payment_id: 'p'.repeat(200), amount: 1 } }))
    expect(id).toBe(('k:payment_success:' + 'p'.repeat(200)).slice(0, 128))
    expect(id).toHaveLength(128)
  })

  it('falls back to a derived id when the key is missing or not a string or number', () => {
    for (const payment_id of [undefined, null, true, { id: 1 }, ['p']]) {
      const event = canonical({ eventName: 'payment_success', properties: { payment_id } })
      expect(idOf(event)).toBe(derivedId(event))
    }
  })

  it('derives the id of events without a key and of unplanned events', () => {
    for (const name of ['qr_scan', 'not_in_the_plan']) {
      const event = canonical({ eventName: name, userId: 'u1' })
      expect(idOf(event)).toBe(derivedId(event))
    }
  })
})

describe('identify: derived ids (event_name, user_id, session_id, device_id, event_time to the second)', () => {
  const base = canonical({ eventName: 'qr_scan', userId: 'usr_abc123', sessionId: 'sess_xyz789', deviceId: 'dev_terminal_01' })

  it('has a stable format: d: and 32 base64url characters of a SHA-256', () => {
    // Pinned: a change here breaks dedup of retries that straddle a deploy.
    expect(idOf(base)).toBe('d:xM9Xo9CLwdckmrtJ-1QjPSjDZPKAgxP4')
    expect(idOf(canonical())).toBe('d:0yVz6hgMftYigf7bLekNGOB6peLXOoVU')
    expect(derivedId(base)).toMatch(/^d:[A-Za-z0-9_-]{32}$/)
  })

  it('is the same for retries within the same second', () => {
    const second = Math.floor(EVENT_TIME / SECOND) * SECOND
    const ids = [second, second + 1, EVENT_TIME, second + 999].map((eventTime) => idOf({ ...base, eventTime, occurredAt: eventTime }))
    expect(new Set(ids)).toEqual(new Set(['d:xM9Xo9CLwdckmrtJ-1QjPSjDZPKAgxP4']))
  })

  it('differs across seconds', () => {
    const second = Math.floor(EVENT_TIME / SECOND) * SECOND
    const ids = [second - 1, second, second + 1000, second + 60_000].map((eventTime) => idOf({ ...base, eventTime }))
    expect(new Set(ids).size).toBe(4)
  })

  it('differs across users, sessions, devices and event names', () => {
    const ids = [
      base,
      { ...base, userId: 'usr_other' },
      { ...base, userId: null },
      { ...base, sessionId: 'sess_other' },
      { ...base, deviceId: 'dev_other' },
      { ...base, eventName: 'page_view' }
    ].map(idOf)
    expect(new Set(ids).size).toBe(6)
  })

  it('does not depend on anything that differs between two sends (sentAt, receivedAt, occurredAt, skew, properties, flags)', () => {
    const resent = {
      ...base, sentAt: RECEIVED_AT, receivedAt: RECEIVED_AT + 5000, occurredAt: EVENT_TIME + 3_600_000, skewMs: 3_600_000,
      properties: { table_code: 'other' }, flags: ['clock_skew'], appVersion: 'v2', platform: 'h5', channel: 'c', storeId: 's'
    }
    expect(idOf(resent)).toBe(idOf(base))
  })

  it('gives the same id to an event sent flat and with properties', () => {
    const time = '2024-01-15T10:30:45.999Z'
    expect(idOfRaw({ event_name: 'qr_scan', event_time: time, user_id: 'u1', table_code: 'T1' }))
      .toBe(idOfRaw({ event_name: 'qr_scan', event_time: EVENT_TIME, properties: { user_id: 'u1', table_code: 'T1' } }))
  })
})

describe('regressions', () => {
  // session_start's idempotency key is session_id, a canonical field: sent at the top level (as seed
  // 001 §3.2 writes it) it never reaches properties, so identify does not see it and derives an id
  // from the second instead; a retry in another second is stored twice.
  it('uses a canonical idempotency key (session_start session_id) sent at the top level (canonical-idempotency-key-ignored)', () => {
    const flat = { event_name: 'session_start', event_time: EVENT_TIME, session_id: 'sess_xyz789', table_id: 'tbl_001', store_id: 'store_001' }
    const nested = { event_name: 'session_start', event_time: EVENT_TIME + 5000, properties: { session_id: 'sess_xyz789', table_id: 'tbl_001', store_id: 'store_001' } }
    expect([idOfRaw(flat), idOfRaw(nested)]).toEqual(['k:session_start:sess_xyz789', 'k:session_start:sess_xyz789'])
  })

  // The shipped plan lets payment_id be '' (no minLength), and identify takes '' as a key: every
  // payment_success with an empty payment_id gets the id `k:payment_success:` and all but the first
  // are dropped as duplicates.
  it('does not collapse different events whose idempotency key is empty (empty-idempotency-key-collapses)', () => {
    const first = canonical({ eventName: 'payment_success', userId: 'u1', properties: { payment_id: '', amount: 100 } })
    const other = canonical({ eventName: 'payment_success', userId: 'u2', eventTime: EVENT_TIME + 60_000, properties: { payment_id: '', amount: 999 } })
    expect(idOf(first)).not.toBe(idOf(other))
  })
})
