/**
 * Decimal yuan → integer minor units (fen), exactly (SPEC §2: "converts exactly, never through
 * floating point"). `29.9 * 100` is 2989.9999999999995 in binary floating point; instead the
 * amount is read as decimal text — the string as sent, or `String(n)`, which is the shortest
 * decimal that reads back as the same double (ECMA-262 Number::toString), i.e. what the
 * client's JSON said — and its digits are shifted by two places.
 */
export type MinorUnits = { ok: true; minor: number } | { ok: false; message: string }

/** Optional sign, digits, at most two decimals; no exponent, no blanks, no bare `.5` or `5.`. */
const YUAN = /^(-?)(\d+)(?:\.(\d{1,2}))?$/

export function yuanToMinor(value: unknown): MinorUnits {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined
  if (text === undefined) return { ok: false, message: `must be a number or a decimal string of yuan, not ${kind(value)}` }
  const m = YUAN.exec(text)
  if (m === null) return { ok: false, message: `must be yuan with at most 2 decimals, not ${JSON.stringify(value)}` }
  const [, sign, whole = '', fraction = ''] = m
  const minor = Number(whole + fraction.padEnd(2, '0'))
  if (!Number.isSafeInteger(minor)) return { ok: false, message: `${JSON.stringify(value)} yuan is too large to count in minor units exactly` }
  // The sign is kept as sent: the tracking plan decides whether a negative amount is allowed.
  return { ok: true, minor: sign === '-' && minor !== 0 ? -minor : minor }
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)
