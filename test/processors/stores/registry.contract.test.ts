import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { migrate } from '../../../processors/store/migrate.js'
import { createStoreRegistry, type StoreRegistry } from '../../../processors/stores/registry.js'
import { backends } from '../../support/backends.js'

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)
const HOURS = [{ rrule: 'FREQ=DAILY;BYHOUR=10', duration: 'PT14H', tzid: 'Europe/Berlin' }]

describe.each(backends)('store registry contract on %s', (_name, open) => {
  let db: Db
  let stores: StoreRegistry
  beforeEach(async () => {
    db = await open()
    await migrate(db)
    stores = createStoreRegistry(db)
  })
  afterEach(async () => { await db.close() })

  const auditRows = async () => (await db.query('SELECT actor, action, target, details FROM audit_log ORDER BY id')).rows

  it('creates, then replaces, a store with its opening hours, auditing both', async () => {
    const created = await stores.upsert({ storeId: 's1', name: 'Mitte', timeZone: 'Europe/Berlin', openingHours: HOURS }, 'key_a')
    expect(created).toEqual({ created: true, store: { storeId: 's1', name: 'Mitte', timeZone: 'Europe/Berlin', openingHours: HOURS, createdAt: ISO, updatedAt: ISO } })
    const replaced = await stores.upsert({ storeId: 's1', timeZone: 'Europe/Berlin' }, 'key_b')
    expect(replaced).toEqual({ created: false, store: { ...created.store, name: '', openingHours: [], updatedAt: ISO } })
    expect(await stores.get('s1')).toEqual(replaced.store)
    expect(await auditRows()).toEqual([
      { actor: 'key_a', action: 'store.create', target: 's1', details: { name: 'Mitte', time_zone: 'Europe/Berlin', opening_hours: HOURS } },
      { actor: 'key_b', action: 'store.update', target: 's1', details: { name: '', time_zone: 'Europe/Berlin', opening_hours: [] } }
    ])
  })

  it('writes nothing when the opening hours or the zone are invalid', async () => {
    await expect(stores.upsert({ storeId: 's1', timeZone: 'UTC', openingHours: [{ ...HOURS[0], duration: 'forever' }] }, 'a'))
      .rejects.toMatchObject({ code: 'PG_ERR_OPENING_HOURS_INVALID', details: { problems: [{ index: 0, path: '/opening_hours/0/duration', message: expect.any(String) }] } })
    await expect(stores.upsert({ storeId: 's1', timeZone: 'Berlin' }, 'a'))
      .rejects.toMatchObject({ code: 'PG_ERR_STORE_INVALID', message: 'The store is invalid: time_zone must be an IANA time zone such as Asia/Shanghai, not "Berlin"' })
    await expect(stores.upsert({ storeId: 'a/b', timeZone: 'UTC' }, 'a')).rejects.toMatchObject({ code: 'PG_ERR_STORE_INVALID', details: { path: '/store_id' } })
    expect(await stores.list()).toEqual([])
    expect(await auditRows()).toEqual([])
  })

  it('lists in id order page by page, and deletes with an audit record', async () => {
    for (const id of ['s3', 's1', 's2']) await stores.upsert({ storeId: id, timeZone: 'Asia/Shanghai' }, 'a')
    expect((await stores.list()).map((s) => s.storeId)).toEqual(['s1', 's2', 's3'])
    expect((await stores.list({ after: 's1', limit: 1 })).map((s) => s.storeId)).toEqual(['s2'])
    expect(await stores.delete('s2', 'b')).toBe(true)
    expect(await stores.delete('s2', 'b')).toBe(false)
    expect(await stores.get('s2')).toBeNull()
    expect((await auditRows()).slice(3)).toEqual([{ actor: 'b', action: 'store.delete', target: 's2', details: {} }])
  })
})
