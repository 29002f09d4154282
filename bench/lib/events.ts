/**
 * Realistic `/v1/batch` traffic: a mix of web and billiards events from the default tracking
 * plan, each passing validation, each with its own event_id (a repeated id would be answered
 * `duplicate` and measure the dedup path instead of the write path).
 */
type Raw = Record<string, unknown>

const PAGES = ['/home', '/tables', '/tables/12', '/orders', '/me', '/coupons', '/pay/confirm', '/reserve']
const CHANNELS = ['wechat', 'alipay', 'direct'] as const
const PLATFORMS = ['miniprogram', 'web', 'ios', 'android'] as const

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length] as T

/** Deterministic variety: event `n` always has the same name and properties. */
const makers: ReadonlyArray<(n: number, base: Raw) => Raw> = [
  (n, base) => ({ ...base, event_name: 'page_view', properties: { page: pick(PAGES, n), page_title: `Page ${n % 97}`, referrer: pick(PAGES, n + 3) } }),
  (n, base) => ({ ...base, event_name: 'page_view', properties: { page: pick(PAGES, n + 1), duration: (n % 120) + 0.5 } }),
  (n, base) => ({ ...base, event_name: 'button_click', properties: { button_id: `btn-${n % 31}`, button_text: 'Open table', page_path: pick(PAGES, n) } }),
  (n, base) => ({ ...base, event_name: 'qr_scan', properties: { table_code: `T${(n % 40) + 1}`, source_channel: pick(CHANNELS, n), scan_result: 'success' } }),
  (n, base) => ({ ...base, event_name: 'session_start', store_id: `s${(n % 12) + 1}`, session_id: `sess-${n}`, properties: { table_id: `t${(n % 40) + 1}`, start_type: 'immediate', user_type: 'member' } }),
  (n, base) => ({ ...base, event_name: 'api_request', properties: { path: '/api/tables', method: 'GET', status_code: 200, duration_ms: n % 250 } })
]

/**
 * Event `n` of a run whose ids start with `idPrefix`. Its time lies within the last five
 * minutes before `nowMs`: recent enough not to be `late`, old enough not to be clock-skewed.
 */
export function makeEvent(idPrefix: string, n: number, nowMs: number): Raw {
  const base: Raw = {
    event_id: `${idPrefix}-${n}`,
    event_time: new Date(nowMs - (n % 300_000)).toISOString(),
    user_id: `u${n % 5_000}`,
    platform: pick(PLATFORMS, n),
    app_version: '2.4.1'
  }
  return (makers[n % makers.length] as (n: number, base: Raw) => Raw)(n, base)
}

/** `count` events, `size` per batch, as the raw events and as the request bodies. */
export function makeBatches(idPrefix: string, count: number, size: number, nowMs = Date.now()): { raws: Raw[][]; bodies: string[] } {
  const raws: Raw[][] = []
  for (let start = 0; start < count; start += size) {
    const batch: Raw[] = []
    for (let n = start; n < Math.min(count, start + size); n++) batch.push(makeEvent(idPrefix, n, nowMs))
    raws.push(batch)
  }
  return { raws, bodies: raws.map((events) => JSON.stringify({ events })) }
}
