import { errors, PulseGateError } from '../errors.js'
import { parseCsv, type CsvProblem, type CsvRecord } from './csv.js'
import { DEFAULT_HEARTBEAT_INTERVAL_S, deviceFieldProblem } from './device-record.js'

/** The columns an import file may have; `device_id` and `store_id` are required. */
export const CSV_COLUMNS = ['device_id', 'store_id', 'table_id', 'heartbeat_interval_s'] as const
type Column = (typeof CSV_COLUMNS)[number]

/** At most this many devices per file: the import is one transaction. */
export const MAX_IMPORT_ROWS = 50_000

/**
 * One device of an import file. A column the file does not have is `undefined`: an existing
 * device keeps its value, a new one gets the default. An empty cell means no table, or the
 * default interval.
 */
export interface ImportRow {
  line: number
  deviceId: string
  storeId: string
  tableId: string | null | undefined
  heartbeatIntervalS: number | undefined
}

/**
 * Reads and checks a whole import file before anything is written: every bad row is reported
 * with its line number, in one PG_ERR_CSV_INVALID error whose `problems` list them all.
 */
export function readDeviceCsv(text: string): ImportRow[] {
  const { records, problems } = parseCsv(text)
  const [header, ...body] = records
  if (header === undefined && problems.length === 0) problems.push({ line: 1, message: `the file is empty; the first line names the columns: ${CSV_COLUMNS.join(',')}` })
  const columns = header === undefined ? null : readHeader(header, problems)
  if (columns === null) throw csvInvalid(problems)
  if (body.length === 0) problems.push({ line: (header?.line ?? 0) + 1, message: 'the file has a header but no devices' })
  if (body.length > MAX_IMPORT_ROWS) problems.push({ line: (body[MAX_IMPORT_ROWS] as CsvRecord).line, message: `more than ${MAX_IMPORT_ROWS} devices; split the file` })
  const seen = new Map<string, number>()
  const rows = body.flatMap((record) => {
    const row = readRow(record, columns, problems)
    if (row === null) return []
    const first = seen.get(row.deviceId)
    if (first !== undefined) problems.push({ line: row.line, column: 'device_id', message: `device_id ${row.deviceId} is also on line ${first}` })
    else seen.set(row.deviceId, row.line)
    return [row]
  })
  if (problems.length > 0) throw csvInvalid(problems)
  return rows
}

function readHeader(header: CsvRecord, problems: CsvProblem[]): Column[] | null {
  const names = header.cells.map((c) => c.toLowerCase())
  const before = problems.length
  names.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      problems.push({ line: header.line, message: `unknown column ${JSON.stringify(header.cells[i])}; the columns are ${CSV_COLUMNS.join(', ')}` })
    } else if (names.indexOf(name) !== i) problems.push({ line: header.line, message: `column ${name} appears twice` })
  })
  for (const required of ['device_id', 'store_id']) {
    if (!names.includes(required)) problems.push({ line: header.line, message: `the header has no ${required} column (expected ${CSV_COLUMNS.join(',')})` })
  }
  return problems.length > before ? null : names as Column[]
}

function readRow(record: CsvRecord, columns: Column[], problems: CsvProblem[]): ImportRow | null {
  if (record.cells.length !== columns.length) {
    problems.push({ line: record.line, message: `${record.cells.length} cells, but the header has ${columns.length}` })
    return null
  }
  const cell = (c: Column): string | undefined => (columns.includes(c) ? record.cells[columns.indexOf(c)] : undefined)
  const tableCell = cell('table_id')
  const intervalCell = cell('heartbeat_interval_s')
  const row: ImportRow = {
    line: record.line, deviceId: cell('device_id') ?? '', storeId: cell('store_id') ?? '',
    tableId: tableCell === undefined ? undefined : tableCell === '' ? null : tableCell,
    heartbeatIntervalS: intervalCell === undefined ? undefined : intervalCell === '' ? DEFAULT_HEARTBEAT_INTERVAL_S : /^\d{1,9}$/.test(intervalCell) ? Number(intervalCell) : NaN
  }
  const checks: Array<[Column, unknown]> = [['device_id', row.deviceId], ['store_id', row.storeId], ['table_id', row.tableId ?? null], ['heartbeat_interval_s', row.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S]]
  let ok = true
  for (const [column, value] of checks) {
    const message = deviceFieldProblem(column, Number.isNaN(value) ? intervalCell : value)
    if (message !== null) {
      problems.push({ line: record.line, column, message })
      ok = false
    }
  }
  return ok ? row : null
}

/** The message lists every problem, one per line, so the command line can print it as it is. */
function csvInvalid(problems: CsvProblem[]): PulseGateError {
  const sorted = [...problems].sort((a, b) => a.line - b.line)
  const lines = new Set(sorted.map((p) => p.line)).size
  const list = sorted.map((p) => `  line ${p.line}: ${p.message}`).join('\n')
  return new PulseGateError(errors.CSV_INVALID, `${lines} bad ${lines === 1 ? 'line' : 'lines'}\n${list}`, { details: { problems: sorted } })
}
