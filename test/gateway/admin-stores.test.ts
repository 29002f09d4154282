import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { testConfig } from '../support/gateway.js'

const ADMIN = 'admin-key-from-the-environment'
const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)
const BERLIN = [{ rrule: 'FREQ=DAILY;BYHOUR=10', duration: 'PT14H', tzid: 'Europe/Berlin' }]

describe('/v1/admin/stores', () => {
  let gw: Gateway
  beforeAll(async () => { gw = await buildGateway(testConfig({ PULSEGATE_ADMIN_KEY: ADMIN }), { db: await openPglite() }) })
  afterAll(async () => { await gw.close() })

  const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown) => gw.http.inject({
    method, url, payload: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
  })

  it('creates a store with 201, replaces it with 200, and audits both', async () => {
    const created = await call('PUT', '/v1/admin/stores/berlin-1', { name: 'Mitte', time_zone: 'Europe/Berlin', opening_hours: BERLIN })
    expect([created.statusCode, created.json()]).toEqual([201, { store_id: 'berlin-1', name: 'Mitte', time_zone: 'Europe/Berlin', opening_hours: BERLIN, created_at: ISO, updated_at: ISO }])
    const replaced = await call('PUT', '/v1/admin/stores/berlin-1', { name: 'Mitte (new)' })
    expect([replaced.statusCode, replaced.json()]).toEqual([200, { ...created.json(), name: 'Mitte (new)', time_zone: 'Asia/Shanghai', opening_hours: [], updated_at: ISO }])
    const { rows } = await gw.services.db.query("SELECT actor, action FROM audit_log WHERE target = 'berlin-1' ORDER BY id")
    expect(rows).toEqual([{ actor: 'env-admin', action: 'store.create' }, { actor: 'env-admin', action: 'store.update' }])
  })

  it('says whether a store is open at a given time and when that changes, across the DST switch', async () => {
    await call('PUT', '/v1/admin/stores/berlin-2', { time_zone: 'Europe/Berlin', opening_hours: BERLIN })
    const at = async (when: string) => (await call('GET', `/v1/admin/stores/berlin-2?at=${encodeURIComponent(when)}`)).json().status
    expect(await at('2024-03-31T09:30:00+02:00')).toEqual({ at: '2024-03-31T07:30:00.000Z', open: false, next_change: { at: '2024-03-31T08:00:00.000Z', open: true } })
    expect(await at('2024-03-31T23:59:00+02:00')).toEqual({ at: '2024-03-31T21:59:00.000Z', open: true, next_change: { at: '2024-03-31T22:00:00.000Z', open: false } })
    const bad = await call('GET', '/v1/admin/stores/berlin-2?at=2024-03-31T09:30:00')
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: { code: 'PG_ERR_REQUEST', message: 'at must be an ISO 8601 time with a zone, such as 2026-03-29T09:00:00+02:00', path: '/at' } }])
    const whole = (await call('GET', '/v1/admin/stores/berlin-2')).json()
    expect(whole).toEqual({ store_id: 'berlin-2', name: '', time_zone: 'Europe/Berlin', opening_hours: BERLIN, created_at: ISO, updated_at: ISO, status: { at: ISO, open: expect.any(Boolean), next_change: { at: ISO, open: expect.any(Boolean) } } })
  })

  it('refuses invalid opening hours naming each entry, and writes nothing', async () => {
    const res = await call('PUT', '/v1/admin/stores/bad-1', { time_zone: 'UTC', opening_hours: [BERLIN[0], { rrule: 'FREQ=DAILY;BYHOUR=24', duration: 'PT1H', tzid: 'UTC' }, { rrule: 'FREQ=DAILY', duration: '1 hour', tzid: 'CEST' }] })
    expect([res.statusCode, res.json()]).toEqual([400, {
      error: {
        code: 'PG_ERR_OPENING_HOURS_INVALID',
        message: 'The opening hours are invalid: opening_hours[1].rrule: BYHOUR=24 is out of range (0 to 23); opening_hours[2].tzid: must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, not "CEST"; ' +
          'opening_hours[2].duration: must be an ISO 8601 duration such as PT14H, PT30M or P1D, over zero and at most a week, not "1 hour"',
        problems: [
          { index: 1, path: '/opening_hours/1/rrule', message: 'BYHOUR=24 is out of range (0 to 23)' },
          { index: 2, path: '/opening_hours/2/tzid', message: 'must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, not "CEST"' },
          { index: 2, path: '/opening_hours/2/duration', message: 'must be an ISO 8601 duration such as PT14H, PT30M or P1D, over zero and at most a week, not "1 hour"' }
        ]
      }
    }])
    const zone = await call('PUT', '/v1/admin/stores/bad-1', { time_zone: 'Mars/Base' })
    expect([zone.statusCode, zone.json().error.code]).toEqual([400, 'PG_ERR_STORE_INVALID'])
    expect((await call('PUT', '/v1/admin/stores/bad-1', { timezone: 'UTC' })).statusCode).toBe(400)
    expect((await call('GET', '/v1/admin/stores/bad-1')).statusCode).toBe(404)
  })

  it('lists stores and deletes one, answering 404 for an unknown store', async () => {
    await call('PUT', '/v1/admin/stores/z-1', { time_zone: 'UTC' })
    const listed = (await call('GET', '/v1/admin/stores?after=berlin-2')).json().stores as Array<{ store_id: string }>
    expect(listed.map((s) => s.store_id)).toEqual(['z-1'])
    expect((await call('DELETE', '/v1/admin/stores/z-1')).json()).toEqual({ deleted: true })
    const gone = await call('DELETE', '/v1/admin/stores/z-1')
    expect([gone.statusCode, gone.json()]).toEqual([404, { error: { code: 'PG_ERR_NO_SUCH_STORE', message: 'no store z-1' } }])
  })
})
