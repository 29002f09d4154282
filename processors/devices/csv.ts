/** One record of a CSV text, and the line it starts on (1-based, as an editor shows it). */
export interface CsvRecord {
  line: number
  cells: string[]
}

export interface CsvProblem {
  line: number
  column?: string
  message: string
}

/**
 * Splits a CSV text into records (RFC 4180): cells separated by commas, records by CRLF or LF;
 * a quoted cell may hold commas, line breaks and `""` for a quote. A leading byte-order mark
 * (spreadsheet exports) is ignored, blank lines are skipped and unquoted cells are trimmed.
 * A malformed record is reported with its line and the rest are still read, so one pass
 * reports every problem.
 */
export function parseCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const records: CsvRecord[] = []
  const problems: CsvProblem[] = []
  const r = { text, i: text.charCodeAt(0) === 0xfeff ? 1 : 0, line: 1 }
  while (r.i < text.length) {
    const line = r.line
    const { cells, error } = readRecord(r)
    if (error !== null) problems.push({ line, message: error })
    else if (cells.length > 1 || cells[0] !== '') records.push({ line, cells })
  }
  return { records, problems }
}

interface Reader { text: string; i: number; line: number }

const endsCell = (c: string | undefined): boolean => c === undefined || c === ',' || c === '\n' || c === '\r'

function readRecord(r: Reader): { cells: string[]; error: string | null } {
  const cells: string[] = []
  let error: string | null = null
  for (;;) {
    const cell = r.text[r.i] === '"' ? readQuoted(r) : readPlain(r)
    error ??= cell.error
    cells.push(cell.value)
    if (r.text[r.i] === ',') {
      r.i++
      continue
    }
    endLine(r)
    return { cells, error }
  }
}

function endLine(r: Reader): void {
  if (r.i >= r.text.length) return
  if (r.text[r.i] === '\r') r.i++
  if (r.text[r.i] === '\n') r.i++
  r.line++
}

function readPlain(r: Reader): { value: string; error: string | null } {
  const start = r.i
  while (!endsCell(r.text[r.i])) r.i++
  const value = r.text.slice(start, r.i)
  return { value: value.trim(), error: value.includes('"') ? 'a quote inside an unquoted cell (quote the whole cell, and double the quote)' : null }
}

function readQuoted(r: Reader): { value: string; error: string | null } {
  let value = ''
  r.i++ // the opening quote
  for (;;) {
    if (r.i >= r.text.length) return { value, error: 'a quoted cell is never closed' }
    const c = r.text[r.i] as string
    if (c === '"' && r.text[r.i + 1] === '"') {
      value += '"'
      r.i += 2
      continue
    }
    r.i++
    if (c === '"') break
    if (c === '\n') r.line++
    value += c
  }
  if (endsCell(r.text[r.i])) return { value, error: null }
  while (!endsCell(r.text[r.i])) r.i++
  return { value, error: 'text after the closing quote of a cell' }
}
