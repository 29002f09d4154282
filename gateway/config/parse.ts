/** Parsers for setting values. Each returns the value or throws an Error whose message says what is allowed. */
export type Parser<T> = (raw: string) => T

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const n = Number(raw)
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`must be an integer from ${min} to ${max}`)
    }
    return n
  }
}

export function oneOf<T extends string>(...allowed: T[]): Parser<T> {
  return (raw) => {
    if (!(allowed as string[]).includes(raw)) throw new Error(`must be one of ${allowed.join(', ')}`)
    return raw as T
  }
}

export const text: Parser<string> = (raw) => {
  if (raw.length === 0) throw new Error('must not be empty')
  return raw
}

export function url(...protocols: string[]): Parser<string> {
  return (raw) => {
    let parsed: URL
    try { parsed = new URL(raw) } catch { throw new Error(`must be a URL (${protocols.join(' or ')})`) }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new Error(`must use ${protocols.join(' or ')}, not ${parsed.protocol}`)
    }
    return raw
  }
}

export const timeZone: Parser<string> = (raw) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw })
  } catch {
    throw new Error('must be an IANA time zone such as Asia/Shanghai or UTC')
  }
  return raw
}

export const host: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw new Error('must be a host name or IP address')
  return raw
}

/** A secret: at least 16 characters, so a typo or a placeholder is not taken for a key. */
export const secret: Parser<string> = (raw) => {
  if (raw.length < 16) throw new Error('must be at least 16 characters')
  return raw
}

/** A comma-separated list of origins (`https://shop.example.com`) or `*`. */
export const origins: Parser<string[]> = (raw) => {
  const list = raw.split(',').map((o) => o.trim()).filter((o) => o !== '')
  for (const o of list) {
    if (o === '*') continue
    let u: URL
    try { u = new URL(o) } catch { throw new Error(`must be * or comma-separated origins such as https://shop.example.com; ${o} is not one`) }
    if (u.origin !== o) throw new Error(`${o} is not an origin (scheme://host[:port], no path)`)
  }
  return list
}

/** `true` or `false` (also `1`/`0`, `yes`/`no`), case-insensitive. */
export const boolean: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase()
  if (['true', '1', 'yes'].includes(v)) return true
  if (['false', '0', 'no'].includes(v)) return false
  throw new Error('must be true or false')
}
