import { describe, expect, it } from 'vitest'
import { parseCsv } from '../../../processors/devices/csv.js'
import { readDeviceCsv } from '../../../processors/devices/device-csv.js'
import { thrown } from '../../support/helpers.js'

describe('parseCsv', () => {
  it('reads RFC 4180 quoting, CRLF and LF, a BOM, blank lines and padded cells, with the line each record starts on', () => {
    const text = '\ufeffa,b\r\n"x, ""y""", z \n\n"multi\nline",2\nlast,"3"'
    expect(parseCsv(text)).toEqual({
      records: [
        { line: 1, cells: ['a', 'b'] }, { line: 2, cells: ['x, "y"', 'z'] },
        { line: 4, cells: ['multi\nline', '2'] }, { line: 6, cells: ['last', '3'] }
      ],
      problems: []
    })
  })

  it('reports a malformed record with its line and goes on', () => {
    expect(parseCsv('a,b\nx"y,1\n"q"z,2\nok,3\n"open,4\n')).toEqual({
      records: [{ line: 1, cells: ['a', 'b'] }, { line: 4, cells: ['ok', '3'] }],
      problems: [
        { line: 2, message: 'a quote inside an unquoted cell (quote the whole cell, and double the quote)' },
        { line: 3, message: 'text after the closing quote of a cell' },
        { line: 5, message: 'a quoted cell is never closed' }
      ]
    })
  })
})

describe('readDeviceCsv', () => {
  it('takes the columns in any order and any case, empty cells meaning no table and the default interval', () => {
    expect(readDeviceCsv('Store_ID,device_id,heartbeat_interval_s,table_id\ns1,d1,,\ns1,d2,30,VIP 3\n')).toEqual([
      { line: 2, deviceId: 'd1', storeId: 's1', tableId: null, heartbeatIntervalS: 5 },
      { line: 3, deviceId: 'd2', storeId: 's1', tableId: 'VIP 3', heartbeatIntervalS: 30 }
    ])
  })

  it('refuses a file whose header cannot be read, naming every problem of it', () => {
    expect(thrown(() => readDeviceCsv('device_id,shop,device_id\nd1,s1,d1\n'))).toMatchObject({
      code: 'PG_ERR_CSV_INVALID',
      details: {
        problems: [
          { line: 1, message: 'unknown column "shop"; the columns are device_id, store_id, table_id, heartbeat_interval_s' },
          { line: 1, message: 'column device_id appears twice' },
          { line: 1, message: 'the header has no store_id column (expected device_id,store_id,table_id,heartbeat_interval_s)' }
        ]
      }
    })
  })

  it('refuses an empty file and a header without rows', () => {
    expect(thrown(() => readDeviceCsv('')).message).toBe('The CSV cannot be imported; nothing was imported: 1 bad line\n  line 1: the file is empty; the first line names the columns: device_id,store_id,table_id,heartbeat_interval_s')
    expect(thrown(() => readDeviceCsv('device_id,store_id\n')).message).toBe('The CSV cannot be imported; nothing was imported: 1 bad line\n  line 2: the file has a header but no devices')
  })

  it('refuses intervals that are not whole seconds from 1 to 3600', () => {
    const err = thrown(() => readDeviceCsv('device_id,store_id,heartbeat_interval_s\na,s,0\nb,s,3601\nc,s,1.5\nd,s,-1\n'))
    expect((err.details.problems as Array<{ line: number }>).map((p) => p.line)).toEqual([2, 3, 4, 5])
  })
})
