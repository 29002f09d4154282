import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { secretDigest } from '../../processors/devices/device-record.js'
import { keyFor, testConfig } from '../support/gateway.js'

const ADMIN = 'admin-key-from-the-environment'
const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)
const SECRET = expect.stringMatching(/^[A-Za-z0-9_-]{22}$/)

describe('/v1/admin/devices', () => {
  let gw: Gateway
  beforeAll(async () => { gw = await buildGateway(testConfig({ PULSEGATE_ADMIN_KEY: ADMIN }), { db: await openPglite() }) })
  afterAll(async () => { await gw.close() })

  const call = (method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) => gw.http.inject({
    method, url, payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }
  })
  const auditOf = async (target: string) =>
    (await gw.services.db.query('SELECT actor, action, details FROM audit_log WHERE target = $1 ORDER BY id', [target])).rows

  it('adds a device, answering its secret once; the store holds only the digest', async () => {
    const res = await call('POST', '/v1/admin/devices', { device_id: 'tc-001', store_id: 'shop-1', table_id: 'T7', heartbeat_interval_s: 10 })
    expect(res.statusCode).toBe(201)
    const device = res.json()
    expect(device).toEqual({
      device_id: 'tc-001', store_id: 'shop-1', table_id: 'T7', heartbeat_interval_s: 10, enabled: true, secret_prefix: device.secret.slice(0, 4),
      created_at: ISO, updated_at: device.created_at, last_rotated_at: null, secret: SECRET
    })
    const { rows } = await gw.services.db.query('SELECT * FROM devices WHERE device_id = $1', [device.device_id])
    expect(rows).toEqual([{
      device_id: 'tc-001', store_id: 'shop-1', table_id: 'T7', heartbeat_interval_s: 10, enabled: true, secret_digest: secretDigest(device.secret),
      secret_prefix: device.secret_prefix, created_at: new Date(device.created_at), updated_at: new Date(device.updated_at), last_rotated_at: null
    }])
    const everything = JSON.stringify((await gw.services.db.query('SELECT * FROM devices')).rows) + JSON.stringify((await gw.services.db.query('SELECT * FROM audit_log')).rows)
    expect(everything).not.toContain(device.secret)
    expect(await auditOf('tc-001')).toEqual([{ actor: 'env-admin', action: 'device.create', details: { store_id: 'shop-1', table_id: 'T7', heartbeat_interval_s: 10 } }])
    const { secret: _secret, ...withoutSecret } = device
    expect((await call('GET', '/v1/admin/devices/tc-001')).json()).toEqual(withoutSecret)
    expect(await gw.services.deviceRegistry.authenticate('tc-001', device.secret)).toMatchObject({ deviceId: 'tc-001' })
  })

  it('refuses a repeated id with 409, an unknown field and a bad id with 400, and a read key with 403', async () => {
    await call('POST', '/v1/admin/devices', { device_id: 'dup', store_id: 'shop-1' })
    const again = await call('POST', '/v1/admin/devices', { device_id: 'dup', store_id: 'shop-2' })
    expect([again.statusCode, again.json()]).toEqual([409, { error: { code: 'PG_ERR_DEVICE_EXISTS', message: 'A device with that id already exists: dup' } }])
    const unknown = await call('POST', '/v1/admin/devices', { device_id: 'x1', store_id: 's', password: 'mine' })
    expect([unknown.statusCode, unknown.json().error.code, unknown.json().error.message]).toEqual([400, 'PG_ERR_REQUEST', 'body must NOT have additional properties'])
    const badId = await call('POST', '/v1/admin/devices', { device_id: 'devices/#', store_id: 's' })
    expect([badId.statusCode, badId.json().error.message]).toEqual([400, 'body/device_id must match pattern "^[A-Za-z0-9_.:-]{1,128}$"'])
    const read = await keyFor(gw, 'read', null)
    expect((await call('GET', '/v1/admin/devices', undefined, { authorization: `Bearer ${read}` })).statusCode).toBe(403)
  })

  it('disables, enables and rotates, answering 404 for an unknown device, each change audited', async () => {
    const { secret } = (await call('POST', '/v1/admin/devices', { device_id: 'tc-002', store_id: 'shop-2' })).json()
    expect((await call('POST', '/v1/admin/devices/tc-002/disable')).json()).toMatchObject({ device_id: 'tc-002', enabled: false })
    expect(await gw.services.deviceRegistry.check('tc-002', secret)).toEqual({ ok: false, reason: 'disabled' })
    expect((await call('POST', '/v1/admin/devices/tc-002/enable')).json()).toMatchObject({ enabled: true })
    const rotated = (await call('POST', '/v1/admin/devices/tc-002/rotate')).json()
    expect(rotated).toMatchObject({ device_id: 'tc-002', last_rotated_at: ISO, secret: SECRET })
    expect(await gw.services.deviceRegistry.authenticate('tc-002', secret)).toBeNull()
    expect(await gw.services.deviceRegistry.authenticate('tc-002', rotated.secret)).toMatchObject({ deviceId: 'tc-002' })
    for (const action of ['disable', 'enable', 'rotate']) {
      const res = await call('POST', `/v1/admin/devices/nope/${action}`)
      expect([res.statusCode, res.json()]).toEqual([404, { error: { code: 'PG_ERR_NO_SUCH_DEVICE', message: 'no device nope' } }])
    }
    expect((await auditOf('tc-002')).map((r) => r.action)).toEqual(['device.create', 'device.disable', 'device.enable', 'device.rotate'])
  })

  it('lists with filters and paging', async () => {
    for (const id of ['l-a', 'l-b', 'l-c']) await call('POST', '/v1/admin/devices', { device_id: id, store_id: 'list-shop' })
    await call('POST', '/v1/admin/devices/l-b/disable')
    const ids = async (query: string) => ((await call('GET', `/v1/admin/devices?${query}`)).json().devices as Array<{ device_id: string }>).map((d) => d.device_id)
    expect(await ids('store_id=list-shop')).toEqual(['l-a', 'l-b', 'l-c'])
    expect(await ids('store_id=list-shop&enabled=true')).toEqual(['l-a', 'l-c'])
    expect(await ids('store_id=list-shop&after=l-a&limit=1')).toEqual(['l-b'])
    const listed = (await call('GET', '/v1/admin/devices?store_id=list-shop')).json()
    expect(listed.devices[0]).toEqual({ device_id: 'l-a', store_id: 'list-shop', table_id: null, heartbeat_interval_s: 5, enabled: true, secret_prefix: expect.any(String), created_at: ISO, updated_at: ISO, last_rotated_at: null })
    expect((await call('GET', '/v1/admin/devices?colour=red')).statusCode).toBe(400)
  })

  it('imports a CSV sent as text/csv or as JSON {csv}, all or nothing', async () => {
    const csv = 'device_id,store_id,table_id,heartbeat_interval_s\nimp-1,shop-9,A1,5\nimp-2,shop-9,,\n'
    const res = await call('POST', '/v1/admin/devices/import', csv, { 'content-type': 'text/csv; charset=utf-8' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toEqual({
      created: [
        { device_id: 'imp-1', store_id: 'shop-9', table_id: 'A1', heartbeat_interval_s: 5, enabled: true, secret_prefix: expect.any(String), created_at: ISO, updated_at: ISO, last_rotated_at: null, secret: SECRET },
        { device_id: 'imp-2', store_id: 'shop-9', table_id: null, heartbeat_interval_s: 5, enabled: true, secret_prefix: expect.any(String), created_at: ISO, updated_at: ISO, last_rotated_at: null, secret: SECRET }
      ],
      updated: [],
      unchanged: []
    })
    const again = (await call('POST', '/v1/admin/devices/import', { csv: csv.replace('A1,5', 'A2,5') })).json()
    expect(again).toEqual({ created: [], updated: [expect.objectContaining({ device_id: 'imp-1', table_id: 'A2' })], unchanged: ['imp-2'] })
    expect(await gw.services.deviceRegistry.authenticate('imp-1', body.created[0].secret)).toMatchObject({ tableId: 'A2' })

    const bad = await call('POST', '/v1/admin/devices/import', 'device_id,store_id\nimp-3,shop-9\nimp 4,shop-9\n', { 'content-type': 'text/csv' })
    expect([bad.statusCode, bad.json()]).toEqual([400, {
      error: {
        code: 'PG_ERR_CSV_INVALID',
        message: 'The CSV cannot be imported; nothing was imported: 1 bad line\n  line 3: device_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not "imp 4"',
        problems: [{ line: 3, column: 'device_id', message: 'device_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not "imp 4"' }]
      }
    }])
    expect((await call('GET', '/v1/admin/devices/imp-3')).statusCode).toBe(404)
    expect((await call('POST', '/v1/admin/devices/import', { file: csv })).statusCode).toBe(400)
  })
})
