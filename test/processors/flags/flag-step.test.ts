import { describe, expect, it } from 'vitest'
import { createFlagStep, isLatencyAnomaly, type FlagStepOptions } from '../../../processors/flags/flag-step.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { canonical, context, EVENT_TIME, SECOND } from '../pipeline/fixtures.js'

const ctx = context()
const OPTIONS: FlagStepOptions = { scanBurst: { windowMs: 60 * SECOND, maxScans: 2, maxKeys: 100 }, latencyAnomalyMs: 1000 }

/** A step with its own detector and a record of every onFlag call. */
function build(overrides: Partial<FlagStepOptions> = {}): { run: (e: CanonicalEvent) => CanonicalEvent; calls: Array<[string, CanonicalEvent]> } {
  const calls: Array<[string, CanonicalEvent]> = []
  const step = createFlagStep({ ...OPTIONS, onFlag: (flag, event) => calls.push([flag, event]), ...overrides })
  const run = (event: CanonicalEvent): CanonicalEvent => {
    const result = step(Object.freeze(event), ctx)
    if (!result.ok) throw new Error(`flag step refused: ${result.rejection.code}`)
    return result.event
  }
  return { run, calls }
}

const scan = (at: number, fields: Partial<CanonicalEvent> = {}): CanonicalEvent =>
  canonical({ eventName: 'qr_scan', occurredAt: at, properties: { table_code: 'TBL001-QR789' }, ...fields })
const heartbeat = (latency: unknown): CanonicalEvent =>
  canonical({ eventName: 'heartbeat_receive', deviceId: 'dev_1', properties: { device_id: 'dev_1', latency_ms: latency } })

describe('flag step: qr_scan bursts', () => {
  it('flags the scan after maxScans from one device within the window, and reports it once', () => {
    const { run, calls } = build()
    const events = [0, 1, 2].map((i) => scan(EVENT_TIME + i * SECOND, { deviceId: 'dev_1' }))
    const out = events.map(run)
    expect(out[0]).toBe(events[0])
    expect(out[1]).toBe(events[1])
    expect(out[2]).toEqual({ ...events[2], flags: ['suspect_batch'] })
    expect(calls).toEqual([['suspect_batch', out[2]]])
  })

  it('counts scans of one table QR code together when no device is named', () => {
    const { run } = build()
    const flags = [0, 1, 2].map((i) => run(scan(EVENT_TIME + i, { properties: { table_code: 'T9' } })).flags)
    expect(flags).toEqual([[], [], ['suspect_batch']])
  })

  it('keys by device, then property device_id, then table code, then store', () => {
    const { run } = build()
    // Same table code, three devices: no burst.
    expect(['a', 'b', 'c'].map((d) => run(scan(EVENT_TIME, { deviceId: d })).flags)).toEqual([[], [], []])
    expect([1, 2, 3].map((i) => run(scan(EVENT_TIME + i, { properties: { device_id: 'p1', table_code: 'T1' } })).flags)).toEqual([[], [], ['suspect_batch']])
    expect([1, 2, 3].map((i) => run(scan(EVENT_TIME + i, { storeId: 'store_001', properties: {} })).flags)).toEqual([[], [], ['suspect_batch']])
  })

  it('keeps flags already on the event and adds none twice', () => {
    const { run, calls } = build({ scanBurst: { windowMs: 60 * SECOND, maxScans: 1, maxKeys: 10 } })
    run(scan(EVENT_TIME, { deviceId: 'd' }))
    const replayed = scan(EVENT_TIME + 1, { deviceId: 'd', flags: ['late', 'suspect_batch'] })
    expect(run(replayed)).toBe(replayed)
    expect(run(scan(EVENT_TIME + 2, { deviceId: 'd', flags: ['late'] })).flags).toEqual(['late', 'suspect_batch'])
    expect(calls.map(([flag]) => flag)).toEqual(['suspect_batch'])
  })

  it('leaves a scan that names nothing to count by alone', () => {
    const { run } = build({ scanBurst: { windowMs: 60 * SECOND, maxScans: 1, maxKeys: 10 } })
    const lonely = scan(EVENT_TIME, { properties: {} })
    expect([run(lonely), run(lonely)]).toEqual([lonely, lonely])
  })
})

describe('flag step: heartbeat latency', () => {
  it('flags only latency above the threshold', () => {
    const { run, calls } = build()
    expect(run(heartbeat(999)).flags).toEqual([])
    expect(run(heartbeat(1000)).flags).toEqual([])
    const above = run(heartbeat(1000.5))
    expect(above).toEqual({ ...heartbeat(1000.5), flags: ['latency_anomaly'] })
    expect(calls).toEqual([['latency_anomaly', above]])
  })

  it('does not flag other events with a latency_ms property', () => {
    const { run } = build()
    expect(run(canonical({ eventName: 'api_call', properties: { latency_ms: 99_999 } })).flags).toEqual([])
  })
})

describe('isLatencyAnomaly', () => {
  it('is true only for a number above the threshold', () => {
    expect([999, 1000, 1001].map((ms) => isLatencyAnomaly(ms, 1000))).toEqual([false, false, true])
  })

  it('is false for values that are not finite numbers', () => {
    expect(['5000', null, undefined, Number.NaN, Number.POSITIVE_INFINITY, { ms: 5000 }].map((v) => isLatencyAnomaly(v, 1000)))
      .toEqual([false, false, false, false, false, false])
  })
})
