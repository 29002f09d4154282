import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const T = '2026-11-22T01:00:00.000Z'
const batch = {
  schema_version: 'v1.0',
  events: [
    { event_id: 'e1', event_name: 'page_view', event_time: T, user_id: 'u1', properties: { page: '/home' } },
    { event_id: 'e2', event_name: 'qr_scan', event_time: T, store_id: 's1', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat' } },
    { event_name: 'button_click', event_time: T, user_id: 'u2', session_id: 'sess9' },
    { event_id: 'e4', event_name: 'qr_scan', event_time: T, properties: { source_channel: 'wechat' } }
  ]
}

describe('POST /v1/batch', () => {
  let gw: Gateway
  let key: string
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_MAX_BATCH_EVENTS: '5', PULSEGATE_MAX_EVENT_BYTES: '512' }), { db: await openPglite() })
    key = await keyFor(gw)
  })
  afterAll(async () => { await gw.close() })

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    gw.http.inject({ method: 'POST', url: '/v1/batch', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers } })
  const metrics = async () => parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)

  it('stores the valid events of a mixed batch and answers each event', async () => {
    const res = await post(batch)
    expect(res.statusCode).toBe(200)
    const derived = res.json().results[2].event_id
    expect(derived).toMatch(/^d:[A-Za-z0-9_-]{32}$/)
    expect(res.json()).toEqual({
      accepted: 3, duplicate: 0, rejected: 1, dropped: 0,
      results: [
        { index: 0, event_id: 'e1', status: 'accepted' },
        { index: 1, event_id: 'e2', status: 'accepted' },
        { index: 2, event_id: derived, status: 'accepted' },
        { index: 3, event_id: 'e4', status: 'rejected', code: 'required_missing', path: '/properties/table_code', message: 'table_code is required' }
      ]
    })
    const { rows } = await gw.services.db.query('SELECT event_id, event_name, user_id, store_id, properties FROM events ORDER BY event_id')
    expect(rows).toEqual([
      { event_id: derived, event_name: 'button_click', user_id: 'u2', store_id: null, properties: {} },
      { event_id: 'e1', event_name: 'page_view', user_id: 'u1', store_id: null, properties: { page: '/home' } },
      { event_id: 'e2', event_name: 'qr_scan', user_id: null, store_id: 's1', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat' } }
    ])
    const q = await gw.services.db.query('SELECT event_id, code, path, payload FROM quarantine')
    expect(q.rows).toEqual([{ event_id: 'e4', code: 'required_missing', path: '/properties/table_code', payload: batch.events[3] }])
  })

  it('answers the same batch again without storing anything twice', async () => {
    const res = await post(batch)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ accepted: 0, duplicate: 3, rejected: 1 })
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'rejected'])
    const { rows } = await gw.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows).toEqual([{ n: 3 }])
  })

  it('keeps the ledger: received = stored + rejected + duplicate + dropped', async () => {
    const m = await metrics()
    const received = sumOf(m, 'pulsegate_events_received_total', 'source="http"')
    expect(received).toBe(8)
    expect(sumOf(m, 'pulsegate_events_stored_total', 'source="http"')).toBe(3)
    expect(sumOf(m, 'pulsegate_events_duplicate_total', 'source="http"')).toBe(3)
    expect(m.get('pulsegate_events_rejected_total{source="http",reason="required_missing"}')).toBe(2)
    expect(received).toBe(['stored', 'rejected', 'duplicate', 'dropped'].reduce((n, k) => n + sumOf(m, `pulsegate_events_${k}_total`, 'source="http"'), 0))
  })

  it('reads text/plain bodies as JSON (sendBeacon)', async () => {
    const res = await post({ events: [{ event_id: 'beacon', event_name: 'page_leave', event_time: T, properties: { duration: 12 } }] }, { 'content-type': 'text/plain;charset=UTF-8' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ accepted: 1 })
  })

  it('answers malformed JSON with 400 saying where', async () => {
    const res = await post('{"events": [ {"event_name": }')
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_BODY_INVALID', message: "The request body cannot be read: not valid JSON: ValueExpected at line 1, column 29 (offset 28)" } })
  })

  it('answers a body that is not a batch with 400', async () => {
    const res = await post({ event_name: 'page_view' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_BATCH_INVALID', message: 'events must be an array', path: '/events' } })
  })

  it('answers a batch over max_batch_events with 413 naming the limit', async () => {
    const events = Array.from({ length: 6 }, (_, i) => ({ event_id: `x${i}`, event_name: 'page_view', event_time: T }))
    const res = await post({ events })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_BATCH_TOO_LARGE', message: '6 events is over max_batch_events (5)', limit: 'max_batch_events', max: 5 } })
  })

  it('refuses an event over max_event_bytes and keeps the rest', async () => {
    const big = { event_id: 'big', event_name: 'page_view', event_time: T, properties: { page: 'x'.repeat(600) } }
    const res = await post({ events: [big, { event_id: 'small', event_name: 'page_view', event_time: T }] })
    expect(res.json()).toEqual({
      accepted: 1, duplicate: 0, rejected: 1, dropped: 0,
      results: [
        { index: 0, event_id: 'big', status: 'rejected', code: 'too_large', path: '', message: 'the event is over max_event_bytes (512)' },
        { index: 1, event_id: 'small', status: 'accepted' }
      ]
    })
  })

  it('serves /health with the store state', async () => {
    const res = await gw.http.inject({ method: 'GET', url: '/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ status: 'ok', intake_queue_rows: 0, database: { ok: true, kind: 'pglite' } })
  })

  it('answers unknown routes with a coded 404', async () => {
    const res = await gw.http.inject({ method: 'GET', url: '/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_NOT_FOUND', message: 'no route GET /nope' } })
  })
})
