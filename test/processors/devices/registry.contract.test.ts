import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { secretDigest } from '../../../processors/devices/device-record.js'
import { createDeviceRegistry, type DeviceRegistry } from '../../../processors/devices/registry.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)
const SECRET = /^[A-Za-z0-9_-]{22}$/

describe.each(backends)('device registry contract on %s', (_name, open) => {
  let db: Db
  let devices: DeviceRegistry
  beforeEach(async () => {
    db = await open()
    await migrate(db)
    devices = createDeviceRegistry({ db })
  })
  afterEach(async () => { await db.close() })

  const auditRows = async () => (await db.query('SELECT actor, action, target, details FROM audit_log ORDER BY id')).rows

  it('adds a device with a 128-bit secret shown once, stores only its SHA-256 digest, and audits it', async () => {
    const added = await devices.add({ deviceId: 'tc-001', storeId: 's1', tableId: 't7' }, 'key_admin')
    expect(added).toEqual({
      deviceId: 'tc-001', storeId: 's1', tableId: 't7', heartbeatIntervalS: 5, enabled: true, secretPrefix: added.secret.slice(0, 4),
      createdAt: ISO, updatedAt: ISO, lastRotatedAt: null, secret: expect.stringMatching(SECRET)
    })
    expect(Buffer.from(added.secret, 'base64url')).toHaveLength(16)
    const { rows } = await db.query('SELECT device_id, store_id, table_id, heartbeat_interval_s, enabled, secret_digest, secret_prefix FROM devices')
    expect(rows).toEqual([{ device_id: 'tc-001', store_id: 's1', table_id: 't7', heartbeat_interval_s: 5, enabled: true, secret_digest: secretDigest(added.secret), secret_prefix: added.secret.slice(0, 4) }])
    expect(await auditRows()).toEqual([{ actor: 'key_admin', action: 'device.create', target: 'tc-001', details: { store_id: 's1', table_id: 't7', heartbeat_interval_s: 5 } }])
    const { secret: _secret, ...record } = added
    expect(await devices.get('tc-001')).toEqual(record)
  })

  it('refuses a second device with the same id, and invalid fields, naming them', async () => {
    await devices.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    await expect(devices.add({ deviceId: 'd1', storeId: 's2' }, 'a')).rejects.toMatchObject({ code: 'PG_ERR_DEVICE_EXISTS', statusCode: 409, message: 'A device with that id already exists: d1' })
    await expect(devices.add({ deviceId: 'devices/+', storeId: 's1', heartbeatIntervalS: 0 }, 'a')).rejects.toMatchObject({
      code: 'PG_ERR_DEVICE_INVALID',
      message: 'The device is invalid: device_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not "devices/+"; heartbeat_interval_s must be a whole number of seconds from 1 to 3600, not 0'
    })
    expect((await auditRows()).map((r) => r.action)).toEqual(['device.create'])
  })

  it('authenticates with the secret only, refuses wrong and unknown credentials, and says why', async () => {
    const { secret } = await devices.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    expect(await devices.authenticate('d1', secret)).toMatchObject({ deviceId: 'd1', storeId: 's1', enabled: true })
    expect(await devices.authenticate('d1', secret + 'x')).toBeNull()
    expect(await devices.authenticate('d2', secret)).toBeNull()
    expect(await devices.check('d1', 'wrong')).toEqual({ ok: false, reason: 'wrong_secret' })
    expect(await devices.check('nobody', 'x')).toEqual({ ok: false, reason: 'unknown_device' })
  })

  it('disables and enables: a disabled device is refused, keeps its secret, and no-op changes are not audited', async () => {
    const { secret } = await devices.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    expect(await devices.authenticate('d1', secret)).not.toBeNull()
    expect(await devices.disable('d1', 'a')).toMatchObject({ deviceId: 'd1', enabled: false })
    expect(await devices.check('d1', secret)).toEqual({ ok: false, reason: 'disabled' })
    expect(await devices.disable('d1', 'a')).toMatchObject({ enabled: false })
    expect(await devices.enable('d1', 'b')).toMatchObject({ enabled: true })
    expect(await devices.authenticate('d1', secret)).toMatchObject({ deviceId: 'd1' })
    expect(await devices.disable('missing', 'a')).toBeNull()
    expect((await auditRows()).map((r) => [r.actor, r.action])).toEqual([['a', 'device.create'], ['a', 'device.disable'], ['b', 'device.enable']])
  })

  it('rotates: the old secret stops working at once, the new one works, and the audit holds no secret', async () => {
    const first = await devices.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    expect(await devices.authenticate('d1', first.secret)).not.toBeNull() // now cached
    const rotated = await devices.rotate('d1', 'a')
    expect(rotated).toMatchObject({ deviceId: 'd1', lastRotatedAt: ISO, secret: expect.stringMatching(SECRET) })
    expect(rotated?.secret).not.toBe(first.secret)
    expect(await devices.authenticate('d1', first.secret)).toBeNull()
    expect(await devices.authenticate('d1', rotated?.secret as string)).toMatchObject({ deviceId: 'd1' })
    expect(await devices.rotate('missing', 'a')).toBeNull()
    const audit = JSON.stringify(await auditRows())
    expect(audit).not.toContain(first.secret)
    expect(audit).not.toContain(rotated?.secret)
    expect(audit).not.toContain(secretDigest(rotated?.secret as string))
  })

  it('lists by store and state, ordered by id, page by page', async () => {
    for (const [id, store] of [['c', 's1'], ['a', 's1'], ['b', 's2'], ['d', 's1']]) await devices.add({ deviceId: id as string, storeId: store as string }, 'a')
    await devices.disable('d', 'a')
    const ids = (list: Array<{ deviceId: string }>) => list.map((d) => d.deviceId)
    expect(ids(await devices.list())).toEqual(['a', 'b', 'c', 'd'])
    expect(ids(await devices.list({ storeId: 's1' }))).toEqual(['a', 'c', 'd'])
    expect(ids(await devices.list({ storeId: 's1', enabled: true }))).toEqual(['a', 'c'])
    expect(ids(await devices.list({ enabled: false }))).toEqual(['d'])
    expect(ids(await devices.list({ limit: 2 }))).toEqual(['a', 'b'])
    expect(ids(await devices.list({ limit: 2, after: 'b' }))).toEqual(['c', 'd'])
  })

  it('serves repeated checks from its cache, and sees changes made elsewhere once the cache expires', async () => {
    let now = 1_000_000
    const cached = createDeviceRegistry({ db, cacheMs: 5_000, now: () => now })
    const other = createDeviceRegistry({ db })
    const { secret } = await other.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    expect(await cached.authenticate('d1', secret)).not.toBeNull()
    expect(await cached.authenticate('d9', 'x')).toBeNull() // cached negatively
    await other.disable('d1', 'a')
    const d9 = await other.add({ deviceId: 'd9', storeId: 's1' }, 'a')
    expect(await cached.authenticate('d1', secret)).not.toBeNull()
    expect(await cached.authenticate('d9', d9.secret)).toBeNull()
    now += 5_000
    expect(await cached.authenticate('d1', secret)).toBeNull()
    expect(await cached.authenticate('d9', d9.secret)).not.toBeNull()
  })
})
