import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const T = '2026-11-22T01:00:00.000Z'
const events = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ event_id: `${prefix}${i}`, event_name: 'page_view', event_time: T, user_id: 'u', properties: { page: '/' } }))

describe('rate limit per key', () => {
  let gw: Gateway
  beforeAll(async () => { gw = await buildGateway(testConfig({ PULSEGATE_RATE_LIMIT_PER_KEY: '3' }), { db: await openPglite() }) })
  afterAll(async () => { await gw.close() })

  it('answers 429 with Retry-After past the limit, per key, and counts it', async () => {
    const [a, b] = [await keyFor(gw, 'write', 'a'), await keyFor(gw, 'write', 'b')]
    const send = (key: string) => gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: JSON.stringify({ events: [] }) })
    const statuses: number[] = []
    let limited
    for (let i = 0; i < 5; i++) {
      const res = await send(a)
      statuses.push(res.statusCode)
      if (res.statusCode === 429) limited = res
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(limited?.json()).toEqual({ error: { code: 'PG_ERR_RATE_LIMITED', message: 'Too many requests for this key; retry after the given delay: over 3 requests per second for this key (rate_limit_per_key)' } })
    expect((await send(b)).statusCode).toBe(200)
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(sumOf(m, 'pulsegate_http_shed_total', 'reason="rate_limit"')).toBe(2)
  })
})

describe('the order of the checks before a body is read', () => {
  it('applies the per-key rate limit before the in-flight budget, and admits exactly the limit of a concurrent burst (regression: a burst of 6 against 2 admitted none)', async () => {
    const gw = await buildGateway(testConfig({ PULSEGATE_RATE_LIMIT_PER_KEY: '2', PULSEGATE_HTTP_MAX_INFLIGHT_BYTES: '1024' }), { db: await openPglite() })
    const key = await keyFor(gw)
    const body = JSON.stringify({ events: events('o', 9) })
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024)
    const answers = await Promise.all(Array.from({ length: 6 }, () =>
      gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: body })))
    const codes = answers.map((r) => r.statusCode === 200 ? 'ok' : (r.json() as { error: { code: string } }).error.code)
    expect(codes.filter((c) => c === 'PG_ERR_RATE_LIMITED')).toHaveLength(4)
    expect(codes.filter((c) => c !== 'PG_ERR_RATE_LIMITED').sort()).toEqual(codes.includes('PG_ERR_OVERLOADED') ? ['PG_ERR_OVERLOADED', 'ok'] : ['ok', 'ok'])
    await gw.close()
  })
})

describe('bodies and limits', () => {
  let gw: Gateway
  let key: string
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_MAX_BATCH_BYTES: '4096', PULSEGATE_MAX_BATCH_EVENTS: '10', PULSEGATE_HTTP_MAX_INFLIGHT_BYTES: '2048' }), { db: await openPglite() })
    key = await keyFor(gw)
  })
  afterAll(async () => { await gw.close() })
  const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, payload })

  it('accepts gzip bodies and applies the byte limit after decompression', async () => {
    const ok = await post(gzipSync(JSON.stringify({ events: events('g', 3) })), { 'content-encoding': 'gzip' })
    expect(ok.json()).toMatchObject({ accepted: 3 })
    const padded = JSON.stringify({ events: events('big', 1), pad: 'x'.repeat(100_000) })
    const packed = gzipSync(padded)
    expect(packed.length).toBeLessThan(4096)
    const res = await post(packed, { 'content-encoding': 'gzip' })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_BATCH_TOO_LARGE', message: 'The batch is over a limit: the body decompresses to more than max_batch_bytes (4096)', limit: 'max_batch_bytes', max: 4096 } })
  })

  it('answers 413 naming the limit: events per batch and bytes per batch', async () => {
    const many = await post(JSON.stringify({ events: events('m', 11) }))
    expect(many.statusCode).toBe(413)
    expect(many.json()).toEqual({ error: { code: 'PG_ERR_BATCH_TOO_LARGE', message: '11 events is over max_batch_events (10)', limit: 'max_batch_events', max: 10 } })
    const big = await post(JSON.stringify({ events: [], pad: 'x'.repeat(5000) }))
    expect(big.statusCode).toBe(413)
    expect(big.json()).toEqual({ error: { code: 'PG_ERR_BATCH_TOO_LARGE', message: 'The batch is over a limit: the body is over max_batch_bytes', limit: 'max_batch_bytes', max: 4096 } })
  })

  it('refuses an event nested deeper than 32 levels on its own and keeps the rest', async () => {
    const deep = '['.repeat(1500) + ']'.repeat(1500)
    const body = `{"events":[{"event_id":"deep","event_name":"page_view","event_time":"${T}","properties":{"page":"/","x":${deep}}},{"event_id":"flat","event_name":"page_view","event_time":"${T}","user_id":"u","properties":{"page":"/"}}]}`
    const res = await post(body)
    expect(res.json()).toEqual({
      accepted: 1, duplicate: 0, rejected: 1, dropped: 0,
      results: [
        { index: 0, event_id: 'deep', status: 'rejected', code: 'too_deep', path: '', message: 'the event nests deeper than 32 levels' },
        { index: 1, event_id: 'flat', status: 'accepted' }
      ]
    })
    const { rows } = await gw.services.db.query<{ depth_kept: boolean }>("SELECT payload->'properties'->'x' IS NOT NULL AS depth_kept FROM quarantine WHERE event_id = 'deep'")
    expect(rows).toEqual([{ depth_kept: true }])
  })

  it('answers malformed JSON with where it broke', async () => {
    const res = await post('{"events": [ {"event_name": "page_view",, } ]}')
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_BODY_INVALID', message: 'The request body cannot be read: not valid JSON: PropertyNameExpected at line 1, column 41 (offset 40)' } })
  })

  it('sheds with 429 before reading bodies once the in-flight budget is spent, and releases it after', async () => {
    const body = JSON.stringify({ events: events('f', 9) })
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024)
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body)))
    const shed = answers.filter((r) => r.statusCode === 429)
    expect(answers.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(1)
    expect(shed.length).toBeGreaterThanOrEqual(1)
    expect(shed[0]?.headers['retry-after']).toBe('1')
    expect(shed[0]?.json().error).toMatchObject({ code: 'PG_ERR_OVERLOADED', limit: 'http_max_inflight_bytes' })
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(m.get('pulsegate_http_inflight_bytes')).toBe(0)
    expect(sumOf(m, 'pulsegate_http_shed_total', 'reason="inflight_bytes"')).toBe(shed.length)
  })
})
