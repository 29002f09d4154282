import { createHmac } from 'node:crypto'

/**
 * The value transforms behind the plan's privacy rules (SPEC §5 Privacy): phone numbers keep
 * their last 4 digits, ID numbers their first 6 and last 4 characters, addresses stop at city
 * level, and `hash` pseudonymises with a keyed HMAC. Each is a pure function of its input.
 */

/** Separators a phone number is written with; kept so the masked value still reads as a number. */
const PHONE_SEPARATOR = /[+\-\s().]/

/**
 * `13812345678` → `*******5678`, `+86 138-1234-5678` → `+** ***-****-5678`. With fewer than 5
 * digits the last 4 would be the whole number, so every digit is masked. Anything that is
 * neither a digit nor a separator is masked too: a letter in a phone field is not ours to keep.
 * A `*` counts as a digit already masked, so masking twice changes nothing.
 */
export function maskPhone(v: string): string {
  // NFKC turns full-width digits (１３８) into ASCII ones, so they are counted and kept alike.
  const chars = Array.from(v.normalize('NFKC'))
  const digits = chars.reduce((n, c) => (isDigit(c) || c === '*' ? n + 1 : n), 0)
  const firstKept = digits < 5 ? digits : digits - 4
  let seen = 0
  return chars.map((c) => {
    if (isDigit(c) || c === '*') return seen++ < firstKept ? '*' : c
    return PHONE_SEPARATOR.test(c) ? c : '*'
  }).join('')
}

/** `110105199001011234` → `110105********1234`; 10 characters or fewer are masked whole. */
export function maskIdNumber(v: string): string {
  // Code points, not UTF-16 units, so a stray astral character is never cut in half.
  const chars = Array.from(v.trim())
  if (chars.length <= 10) return '*'.repeat(chars.length)
  return chars.slice(0, 6).join('') + '*'.repeat(chars.length - 10) + chars.slice(-4).join('')
}

/** What is left of an address: its city-level text, or the province and city of a structured one. */
export type CityLevel = string | { province?: string; city?: string } | null

/**
 * An address cut to city level. Unparseable input gives `null`: when we cannot tell where the
 * city ends, dropping the value is the only answer that cannot leak a street.
 */
export function cityOf(address: unknown): CityLevel {
  if (typeof address === 'string') return HAN.test(address) ? chineseCity(address) : latinCity(address)
  if (isPlainObject(address)) return structuredCity(address)
  return null
}

/** `h:` + 32 base64url characters of HMAC-SHA256: deterministic, so unique counts stay exact. */
export function hmacId(key: Buffer, value: string): string {
  return 'h:' + createHmac('sha256', key).update(value, 'utf8').digest('base64url').slice(0, 32)
}

const HAN = /[\u4e00-\u9fff]/
/** The four municipalities are both province and city: `北京市朝阳区` stops at `北京市`. */
const MUNICIPALITY = /^(?:北京|上海|天津|重庆)市?/
/** `广东省`, `新疆维吾尔自治区`, `香港特别行政区`. */
const PROVINCE = /^[^\d,，区县]{2,10}?(?:省|自治区|特别行政区)/
/**
 * The prefecture level: `深圳市`, `延边朝鲜族自治州`, `阿克苏地区`, `锡林郭勒盟`. The name may not
 * hold a district, county, road or number marker, so a street is never read as a city.
 */
const CITY = /^[^\d,，区县路街号]{1,12}?(?:市|自治州|地区|盟)/

function chineseCity(address: string): string | null {
  const s = address.replace(/\s+/g, '').replace(/^中国/, '')
  const municipality = MUNICIPALITY.exec(s)
  if (municipality !== null) return municipality[0]
  const province = PROVINCE.exec(s)?.[0] ?? ''
  const city = CITY.exec(s.slice(province.length))?.[0] ?? ''
  // A province with no city after it (海南省陵水黎族自治县) is still no finer than a city.
  const kept = province + city
  return kept === '' ? null : kept
}

/**
 * `221B Baker Street, London, UK` → `London, UK`: the last two comma-separated parts. With only
 * two parts the first may be the street (`221B Baker Street, London`), so only the last is kept.
 * Tokens holding digits (house numbers, postcodes such as `SW1A 2AA`) are dropped from what is kept.
 */
function latinCity(address: string): string | null {
  const parts = address.split(',').map((p) => p.trim()).filter((p) => p !== '')
  if (parts.length < 2) return null
  const kept = parts.slice(parts.length === 2 ? -1 : -2)
    .map((p) => p.split(/\s+/).filter((t) => !/\d/.test(t)).join(' '))
    .filter((p) => p !== '')
  return kept.length === 0 ? null : kept.join(', ')
}

function structuredCity(address: Record<string, unknown>): CityLevel {
  const out: { province?: string; city?: string } = {}
  if (typeof address.province === 'string') out.province = address.province
  if (typeof address.city === 'string') out.city = address.city
  return out.province === undefined && out.city === undefined ? null : out
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}
