import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createDeviceRegistry, type DeviceRegistry } from '../../../processors/devices/registry.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const SECRET = /^[A-Za-z0-9_-]{22}$/

describe.each(backends)('device CSV import contract on %s', (_name, open) => {
  let db: Db
  let devices: DeviceRegistry
  beforeEach(async () => {
    db = await open()
    await migrate(db)
    devices = createDeviceRegistry({ db })
  })
  afterEach(async () => { await db.close() })

  const auditRows = async () => (await db.query('SELECT actor, action, target, details FROM audit_log ORDER BY id')).rows

  it('imports a CSV: creates with secrets, updates without touching secrets, leaves identical rows alone, audits each change', async () => {
    const old = await devices.add({ deviceId: 'd1', storeId: 's1', tableId: 't1' }, 'a')
    await devices.add({ deviceId: 'd2', storeId: 's1', tableId: 't2', heartbeatIntervalS: 10 }, 'a')
    const result = await devices.importCsv('device_id,store_id,table_id,heartbeat_interval_s\r\nd1,s2,t1,5\r\nd2,s1,t2,10\r\nd3,s2,,\r\n"d4",s2,"t,4",30\r\n', 'importer')
    expect(result).toEqual({
      created: [
        expect.objectContaining({ deviceId: 'd3', storeId: 's2', tableId: null, heartbeatIntervalS: 5, secret: expect.stringMatching(SECRET) }),
        expect.objectContaining({ deviceId: 'd4', storeId: 's2', tableId: 't,4', heartbeatIntervalS: 30, secret: expect.stringMatching(SECRET) })
      ],
      updated: [{ ...(await devices.get('d1')), storeId: 's2' }],
      unchanged: ['d2']
    })
    expect(await devices.authenticate('d1', old.secret)).toMatchObject({ storeId: 's2' })
    expect(await devices.authenticate('d3', result.created[0]?.secret as string)).toMatchObject({ deviceId: 'd3' })
    const audit = (await auditRows()).filter((r) => r.actor === 'importer')
    expect(audit).toEqual([
      { actor: 'importer', action: 'device.create', target: 'd3', details: { via: 'import', store_id: 's2', table_id: null, heartbeat_interval_s: 5 } },
      { actor: 'importer', action: 'device.create', target: 'd4', details: { via: 'import', store_id: 's2', table_id: 't,4', heartbeat_interval_s: 30 } },
      { actor: 'importer', action: 'device.update', target: 'd1', details: { via: 'import', before: { store_id: 's1', table_id: 't1', heartbeat_interval_s: 5 }, after: { store_id: 's2', table_id: 't1', heartbeat_interval_s: 5 } } }
    ])
  })

  it('keeps the values of columns an import file leaves out', async () => {
    await devices.add({ deviceId: 'd1', storeId: 's1', tableId: 't1', heartbeatIntervalS: 20 }, 'a')
    const result = await devices.importCsv('store_id,device_id\ns9,d1\ns9,d2\n', 'a')
    expect(result.updated).toEqual([expect.objectContaining({ deviceId: 'd1', storeId: 's9', tableId: 't1', heartbeatIntervalS: 20 })])
    expect(result.created).toEqual([expect.objectContaining({ deviceId: 'd2', tableId: null, heartbeatIntervalS: 5 })])
  })

  it('refuses a CSV with bad rows whole, reporting every bad line, and writes nothing', async () => {
    await devices.add({ deviceId: 'd1', storeId: 's1' }, 'a')
    const csv = 'device_id,store_id,table_id,heartbeat_interval_s\nok1,s1,,5\nbad/id,s1,,5\nok2,,t1,five\nok1,s2,,5\nok3,s1\n'
    const err = await devices.importCsv(csv, 'a').catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'PG_ERR_CSV_INVALID', statusCode: 400,
      message: 'The CSV cannot be imported; nothing was imported: 4 bad lines\n' + [
        '  line 3: device_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not "bad/id"',
        '  line 4: store_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not ""',
        '  line 4: heartbeat_interval_s must be a whole number of seconds from 1 to 3600, not "five"',
        '  line 5: device_id ok1 is also on line 2',
        '  line 6: 2 cells, but the header has 4'
      ].join('\n'),
      details: {
        problems: [
          { line: 3, column: 'device_id', message: expect.any(String) }, { line: 4, column: 'store_id', message: expect.any(String) },
          { line: 4, column: 'heartbeat_interval_s', message: expect.any(String) }, { line: 5, column: 'device_id', message: 'device_id ok1 is also on line 2' },
          { line: 6, message: '2 cells, but the header has 4' }
        ]
      }
    })
    expect((await db.query('SELECT device_id FROM devices')).rows).toEqual([{ device_id: 'd1' }])
    expect((await auditRows()).map((r) => r.action)).toEqual(['device.create'])
  })
})
