import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createDeviceDirectory, type DeviceDirectory } from '../../../processors/devices/directory.js'
import { createDeviceRegistry } from '../../../processors/devices/registry.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(backends)('device directory on %s', (_name, open) => {
  let db: Db
  let directory: DeviceDirectory | undefined
  beforeEach(async () => {
    db = await open()
    await migrate(db)
  })
  afterEach(async () => {
    directory?.close()
    await db.close()
  })

  it('holds every registered device at start, and a change through the registry before its answer', async () => {
    const other = createDeviceRegistry({ db })
    await other.add({ deviceId: 'tc-1', storeId: 's1', heartbeatIntervalS: 10 }, 'k')
    directory = await createDeviceDirectory(db, { refreshMs: 60_000 })
    const dir = directory
    expect(dir.get('tc-1')).toEqual({ storeId: 's1', heartbeatIntervalS: 10, enabled: true })
    const registry = createDeviceRegistry({ db, onChange: () => dir.refresh() })
    await registry.add({ deviceId: 'tc-2', storeId: 's2' }, 'k')
    await registry.disable('tc-1', 'k')
    expect(dir.get('tc-2')).toEqual({ storeId: 's2', heartbeatIntervalS: 5, enabled: true })
    expect(dir.get('tc-1')?.enabled).toBe(false)
    expect(dir.get('nobody')).toBeUndefined()
    expect([...dir.entries().keys()].sort()).toEqual(['tc-1', 'tc-2'])
  })

  it('sees another replica\'s changes on its timer, and a change made during a load with one more load', async () => {
    directory = await createDeviceDirectory(db, { refreshMs: 100 })
    await createDeviceRegistry({ db }).add({ deviceId: 'far-1', storeId: 's9' }, 'k')
    await sleep(400)
    expect(directory.get('far-1')?.storeId).toBe('s9')
    const first = directory.refresh()
    await db.query("UPDATE devices SET store_id = 's10' WHERE device_id = 'far-1'")
    const second = directory.refresh()
    await Promise.all([first, second])
    expect(directory.get('far-1')?.storeId).toBe('s10')
  })
})
