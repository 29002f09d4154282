import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const T = '2026-11-22T01:00:00.000Z'
const ADMIN = 'admin-key-from-the-environment'
const event = (id: string) => ({ event_id: id, event_name: 'page_view', event_time: T, user_id: 'u1', properties: { page: '/' } })

describe('keys: who may call what', () => {
  let gw: Gateway
  let write: string
  let read: string
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_ADMIN_KEY: ADMIN }), { db: await openPglite() })
    write = await keyFor(gw, 'write', 'shop-app')
    read = await keyFor(gw, 'read', null)
  })
  afterAll(async () => { await gw.close() })

  const batch = (headers: Record<string, string>, url = '/v1/batch', body: unknown = { events: [event('a1')] }) =>
    gw.http.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) })

  it('answers 401 without a key, naming where a key goes', async () => {
    const res = await batch({})
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="pulsegate"')
    expect(res.json()).toEqual({ error: { code: 'PG_ERR_UNAUTHENTICATED', message: 'this route needs a write key: Authorization: Bearer <key>, HTTP Basic user name, a /k/<key>/ path prefix, a key query parameter or a write_key body field' } })
  })

  it('answers 401 for an unknown key and 403 for a key of the wrong kind', async () => {
    expect((await batch({ authorization: 'Bearer pgw_nonsense' })).json()).toEqual({ error: { code: 'PG_ERR_UNAUTHENTICATED', message: 'the key is unknown or revoked' } })
    const wrong = await batch({ authorization: `Bearer ${read}` })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json()).toEqual({ error: { code: 'PG_ERR_FORBIDDEN', message: 'a read key cannot call this route; it needs a write key' } })
    expect((await batch({ authorization: `Bearer ${ADMIN}` })).statusCode).toBe(403)
    const readRoute = await gw.http.inject({ method: 'GET', url: '/v1/quarantine', headers: { authorization: `Bearer ${write}` } })
    expect(readRoute.statusCode).toBe(403)
    const adminRoute = await gw.http.inject({ method: 'GET', url: '/v1/admin/keys', headers: { authorization: `Bearer ${read}` } })
    expect(adminRoute.statusCode).toBe(403)
  })

  it('takes a write key as Bearer, as Basic user name, as ?key= and as a write_key body field', async () => {
    const basic = 'Basic ' + Buffer.from(`${write}:`).toString('base64')
    expect((await batch({ authorization: `Bearer ${write}` }, '/v1/batch', { events: [event('k1')] })).json().accepted).toBe(1)
    expect((await batch({ authorization: basic }, '/v1/batch', { events: [event('k2')] })).json().accepted).toBe(1)
    expect((await batch({}, `/v1/batch?key=${write}`, { events: [event('k3')] })).json().accepted).toBe(1)
    expect((await batch({}, '/v1/batch', { write_key: write, events: [event('k4')] })).json().accepted).toBe(1)
    const beacon = await gw.http.inject({ method: 'POST', url: '/v1/track', headers: { 'content-type': 'text/plain;charset=UTF-8' }, payload: JSON.stringify({ ...event('k5'), write_key: write }) })
    expect(beacon.json().accepted).toBe(1)
    const { rows } = await gw.services.db.query("SELECT app_id, event_id FROM events WHERE event_id LIKE 'k%' ORDER BY event_id")
    expect(rows).toEqual(['k1', 'k2', 'k3', 'k4', 'k5'].map((id) => ({ app_id: 'shop-app', event_id: id })))
  })

  it('creates, lists and revokes keys through the admin API, stores only digests, and audits each action', async () => {
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
    const created = await gw.http.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: JSON.stringify({ kind: 'write', app_id: 'kiosk', name: 'lobby kiosk' }) })
    expect(created.statusCode).toBe(201)
    const key = created.json()
    expect(key).toEqual({ id: expect.stringMatching(/^key_/), kind: 'write', app_id: 'kiosk', name: 'lobby kiosk', prefix: key.secret.slice(0, 8), created_at: expect.any(String), revoked_at: null, secret: expect.stringMatching(/^pgw_[A-Za-z0-9_-]{32}$/) })
    const stored = await gw.services.db.query<{ digest: string }>('SELECT digest FROM api_keys WHERE id = $1', [key.id])
    expect(stored.rows[0]?.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify((await gw.services.db.query('SELECT * FROM api_keys')).rows)).not.toContain(key.secret)

    const listed = (await gw.http.inject({ method: 'GET', url: '/v1/admin/keys', headers: admin })).json().keys
    expect(listed.find((k: { id: string }) => k.id === key.id)).toEqual({ ...key, secret: undefined })
    expect(JSON.stringify(listed)).not.toContain(key.secret)

    expect((await batch({ authorization: `Bearer ${key.secret}` }, '/v1/batch', { events: [event('r1')] })).statusCode).toBe(200)
    const revoked = await gw.http.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: { authorization: `Bearer ${ADMIN}` } })
    expect(revoked.json()).toMatchObject({ id: key.id, revoked_at: expect.any(String) })
    expect((await batch({ authorization: `Bearer ${key.secret}` }, '/v1/batch', { events: [event('r2')] })).statusCode).toBe(401)
    expect((await gw.http.inject({ method: 'DELETE', url: '/v1/admin/keys/key_nope', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(404)

    const audit = (await gw.http.inject({ method: 'GET', url: '/v1/admin/audit', headers: admin })).json().entries
    expect(audit.filter((e: { target: string }) => e.target === key.id).map((e: { actor: string; action: string }) => [e.actor, e.action]))
      .toEqual([['env-admin', 'key.revoke'], ['env-admin', 'key.create']])
  })

  it('refuses malformed admin requests with the field named', async () => {
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
    const noApp = await gw.http.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: JSON.stringify({ kind: 'write' }) })
    expect(noApp.statusCode).toBe(400)
    expect(noApp.json()).toEqual({ error: { code: 'PG_ERR_REQUEST', message: 'a write key needs app_id: the app its events belong to', path: '/app_id' } })
    const badKind = await gw.http.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: JSON.stringify({ kind: 'root' }) })
    expect(badKind.statusCode).toBe(400)
    expect(badKind.json().error.message).toContain('kind')
  })

  it('counts refused credentials', async () => {
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(sumOf(m, 'pulsegate_http_auth_failures_total', 'status_code="401"')).toBeGreaterThanOrEqual(3)
    expect(sumOf(m, 'pulsegate_http_auth_failures_total', 'status_code="403"')).toBeGreaterThanOrEqual(4)
  })
})

describe('the first admin key', () => {
  it('is generated once at first start, stored hashed, and not again', async () => {
    const db = await openPglite()
    const first = await buildGateway(testConfig(), { db })
    expect(first.generatedAdminKey).toMatch(/^pga_/)
    const keys = await first.services.db.query<{ kind: string; name: string }>('SELECT kind, name FROM api_keys')
    expect(keys.rows).toEqual([{ kind: 'admin', name: 'generated at first start' }])
    const res = await first.http.inject({ method: 'GET', url: '/v1/admin/keys', headers: { authorization: `Bearer ${first.generatedAdminKey}` } })
    expect(res.statusCode).toBe(200)
    await first.http.close()
    const second = await buildGateway(testConfig(), { db })
    expect(second.generatedAdminKey).toBeNull()
    await second.close()
  })
})

describe('CORS', () => {
  it('is off unless configured', async () => {
    const gw = await buildGateway(testConfig(), { db: await openPglite() })
    const res = await gw.http.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } })
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    await gw.close()
  })

  it('answers preflights for the configured origins only, allowing the headers browsers need', async () => {
    const gw = await buildGateway(testConfig({ PULSEGATE_CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com' }), { db: await openPglite() })
    const preflight = (origin: string) => gw.http.inject({
      method: 'OPTIONS', url: '/v1/batch',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
    })
    const ok = await preflight('https://shop.example.com')
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example.com')
    expect(String(ok.headers['access-control-allow-headers']).split(/, */)).toEqual(['authorization', 'content-type', 'content-encoding', 'traceparent'])
    expect(String(ok.headers['access-control-allow-methods']).split(/, */)).toEqual(['GET', 'POST', 'DELETE'])
    expect((await preflight('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined()
    const key = await keyFor(gw)
    const post = await gw.http.inject({ method: 'POST', url: '/v1/track', headers: { origin: 'https://admin.example.com', 'content-type': 'text/plain', authorization: `Bearer ${key}` }, payload: JSON.stringify(event('cors-1')) })
    expect(post.statusCode).toBe(200)
    expect(post.headers['access-control-allow-origin']).toBe('https://admin.example.com')
    await gw.close()
  })
})
