import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser'
import { errors, PulseGateError } from '../../processors/errors.js'

/**
 * Parses a request body as JSON. V8's JSON.parse is the fast path; only when it fails do we
 * run jsonc-parser over the text to say where and what broke (V8's message on Node 20 names
 * neither line nor offset), so a client developer sees `at line 1, column 29 (offset 28):
 * ValueExpected`.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new PulseGateError(errors.BODY_INVALID, `not valid JSON: ${describe(text) ?? (err as Error).message}`)
  }
}

function describe(text: string): string | undefined {
  if (text.trim() === '') return 'the body is empty'
  const found: ParseError[] = []
  parseTolerant(text, found, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  const first = found[0]
  if (first === undefined) return undefined
  const before = text.slice(0, first.offset)
  const line = before.split('\n').length
  const column = first.offset - before.lastIndexOf('\n')
  return `${printParseErrorCode(first.error)} at line ${line}, column ${column} (offset ${first.offset})`
}
