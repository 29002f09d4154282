import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const iso = (ms: number) => new Date(ms).toISOString()

describe('flags, clock skew and the time of events, end to end', () => {
  let gw: Gateway
  let key: string
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_SCAN_BURST_COUNT: '10', PULSEGATE_SCAN_BURST_WINDOW_MS: '60000', PULSEGATE_LATENCY_ANOMALY_MS: '1000' }), { db: await openPglite() })
    key = await keyFor(gw, 'write', 'hall')
  })
  afterAll(async () => { await gw.close() })
  const post = (url: string, body: unknown) =>
    gw.http.inject({ method: 'POST', url: `/k/${key}${url}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  const metrics = async () => parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)

  it('flags the scans past the burst limit from one table code as suspect_batch, and counts them', async () => {
    const now = Date.now()
    const scans = Array.from({ length: 12 }, (_, i) => ({ event_id: `scan-${i}`, event_name: 'qr_scan', event_time: iso(now - 30_000 + i * 1000), store_id: 's1', properties: { table_code: 'TBL001-QR789' } }))
    const other = { event_id: 'scan-other', event_name: 'qr_scan', event_time: iso(now), store_id: 's1', properties: { table_code: 'TBL002-QR111' } }
    expect((await post('/api/track', { schema_version: 'v1.0', events: [...scans, other] })).json()).toMatchObject({ accepted: 13 })
    const { rows } = await gw.services.db.query<{ event_id: string; flags: string[] }>("SELECT event_id, flags FROM events WHERE event_name = 'qr_scan' ORDER BY occurred_at, event_id")
    expect(rows.filter((r) => r.flags.includes('suspect_batch')).map((r) => r.event_id)).toEqual(['scan-10', 'scan-11'])
    expect(sumOf(await metrics(), 'pulsegate_anomalies_total', 'type="suspect_batch"')).toBe(2)
  })

  it('flags an HTTP heartbeat whose latency is over the threshold as latency_anomaly', async () => {
    const beat = (id: string, latency: number) => ({ event_id: id, event_name: 'heartbeat_receive', event_time: iso(Date.now()), device_id: 'table-7', properties: { device_id: 'table-7', latency_ms: latency, online: 1 } })
    expect((await post('/api/track', { events: [beat('hb-ok', 1000), beat('hb-slow', 1001)] })).json()).toMatchObject({ accepted: 2 })
    const { rows } = await gw.services.db.query("SELECT event_id, flags FROM events WHERE event_name = 'heartbeat_receive' ORDER BY event_id")
    expect(rows).toEqual([{ event_id: 'hb-ok', flags: [] }, { event_id: 'hb-slow', flags: ['latency_anomaly'] }])
    expect(sumOf(await metrics(), 'pulsegate_anomalies_total', 'type="latency_anomaly"')).toBe(1)
  })

  it('keeps event_time as sent, shifts occurred_at by a skewed client clock, and measures the skew', async () => {
    const now = Date.now()
    const hoursAhead = 2 * 3600_000
    // The client's clock runs two hours ahead: it stamps events and sent_at in its own time.
    const res = await post('/v1/batch', { sent_at: iso(now + hoursAhead), events: [{ event_id: 'sk-1', event_name: 'page_view', event_time: iso(now + hoursAhead - 5000), user_id: 'u', properties: { page: '/' } }] })
    expect(res.json()).toMatchObject({ accepted: 1 })
    const { rows } = await gw.services.db.query<{ event_time: Date; occurred_at: Date; skew_ms: number; flags: string[] }>("SELECT event_time, occurred_at, skew_ms, flags FROM events WHERE event_id = 'sk-1'")
    const row = rows[0]!
    expect(row.event_time.getTime()).toBe(now + hoursAhead - 5000)
    // received_at - sent_at: the clock error, plus the few milliseconds the request took.
    expect(row.skew_ms).toBeGreaterThanOrEqual(-hoursAhead)
    expect(row.skew_ms).toBeLessThan(-hoursAhead + 1000)
    expect(row.occurred_at.getTime()).toBe(row.event_time.getTime() + row.skew_ms)
    expect(row.flags).toEqual(['clock_skew'])
    const m = await metrics()
    expect(m.get('pulsegate_clock_skew_seconds_count{source="http"}')).toBe(1)
    expect(m.get('pulsegate_clock_skew_seconds_bucket{le="3600",source="http"}')).toBe(0)
    expect(m.get('pulsegate_clock_skew_seconds_bucket{le="21600",source="http"}')).toBe(1)
  })

  it('leaves transit time below the threshold alone, and clamps events stamped in the future', async () => {
    const now = Date.now()
    await post('/v1/batch', { sent_at: iso(now - 3000), events: [
      { event_id: 'tr-1', event_name: 'page_view', event_time: iso(now - 4000), user_id: 'u', properties: { page: '/' } },
      { event_id: 'fut-1', event_name: 'page_view', event_time: iso(now + 3 * 3600_000), user_id: 'u', properties: { page: '/' } }
    ] })
    const { rows } = await gw.services.db.query<{ event_id: string; event_time: Date; occurred_at: Date; received_at: Date; skew_ms: number; flags: string[] }>(
      "SELECT event_id, event_time, occurred_at, received_at, skew_ms, flags FROM events WHERE event_id IN ('tr-1', 'fut-1') ORDER BY event_id")
    const [future, transit] = rows
    expect(transit).toMatchObject({ skew_ms: 0, flags: [] })
    expect(transit!.occurred_at.getTime()).toBe(now - 4000)
    expect(future!.event_time.getTime()).toBe(now + 3 * 3600_000)
    expect(future!.occurred_at.getTime()).toBe(future!.received_at.getTime())
    expect(future!.flags).toEqual(['clock_skew'])
  })

  it('flags events of an unknown minor schema version, and refuses an unknown major into quarantine', async () => {
    const ev = (id: string) => ({ event_id: id, event_name: 'page_view', event_time: iso(Date.now()), user_id: 'u', properties: { page: '/' } })
    expect((await post('/v1/batch', { schema_version: 'v1.7', events: [ev('sv-1')] })).json()).toMatchObject({ accepted: 1 })
    const flagged = await gw.services.db.query("SELECT schema_version, flags FROM events WHERE event_id = 'sv-1'")
    expect(flagged.rows).toEqual([{ schema_version: 'v1.7', flags: ['schema_version_unknown'] }])
    const res = await post('/v1/batch', { schema_version: 'v9.0', events: [ev('sv-2'), ev('sv-3')] })
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 2, results: [{ code: 'unsupported_schema_version', path: '/schema_version' }, { code: 'unsupported_schema_version' }] })
    const q = await gw.services.db.query("SELECT event_id, schema_version FROM quarantine WHERE code = 'unsupported_schema_version' ORDER BY event_id")
    expect(q.rows).toEqual([{ event_id: 'sv-2', schema_version: 'v9.0' }, { event_id: 'sv-3', schema_version: 'v9.0' }])
  })
})
