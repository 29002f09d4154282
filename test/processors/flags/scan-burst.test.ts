import { describe, expect, it } from 'vitest'
import { createScanBurstDetector } from '../../../processors/flags/scan-burst.js'

const SECOND = 1000
const T0 = Date.parse('2024-01-15T10:30:00Z')

/** Observes `key` at each time in order and returns what each observation said. */
function observeAll(detector: ReturnType<typeof createScanBurstDetector>, key: string, times: number[]): boolean[] {
  return times.map((t) => detector.observe(key, t))
}

describe('scan burst: the threshold', () => {
  it('lets maxScans scans through and flags the (maxScans + 1)-th and later ones', () => {
    const d = createScanBurstDetector({ windowMs: 60 * SECOND, maxScans: 3, maxKeys: 100 })
    expect(observeAll(d, 'dev', [T0, T0 + 1 * SECOND, T0 + 2 * SECOND, T0 + 3 * SECOND, T0 + 4 * SECOND]))
      .toEqual([false, false, false, true, true])
  })

  it('counts each key on its own', () => {
    const d = createScanBurstDetector({ windowMs: 60 * SECOND, maxScans: 2, maxKeys: 100 })
    expect([d.observe('a', T0), d.observe('b', T0), d.observe('a', T0 + 1), d.observe('b', T0 + 1), d.observe('a', T0 + 2)])
      .toEqual([false, false, false, false, true])
  })

  it('counts scans with the same timestamp', () => {
    const d = createScanBurstDetector({ windowMs: SECOND, maxScans: 2, maxKeys: 10 })
    expect(observeAll(d, 'dev', [T0, T0, T0])).toEqual([false, false, true])
  })
})

describe('scan burst: the window slides', () => {
  const windowMs = 10 * SECOND

  it('forgets a scan exactly one window old', () => {
    const d = createScanBurstDetector({ windowMs, maxScans: 2, maxKeys: 10 })
    expect(observeAll(d, 'dev', [T0, T0 + 5 * SECOND])).toEqual([false, false])
    // T0 is exactly windowMs before: out of the window, so this is only the 2nd scan in it.
    expect(d.observe('dev', T0 + windowMs)).toBe(false)
    // One ms earlier it would have been the 3rd.
    const e = createScanBurstDetector({ windowMs, maxScans: 2, maxKeys: 10 })
    expect(observeAll(e, 'dev', [T0, T0 + 5 * SECOND, T0 + windowMs - 1])).toEqual([false, false, true])
  })

  it('stops flagging once the scans spread out again', () => {
    const d = createScanBurstDetector({ windowMs, maxScans: 2, maxKeys: 10 })
    const times = [T0, T0 + 1 * SECOND, T0 + 2 * SECOND, T0 + 20 * SECOND, T0 + 40 * SECOND, T0 + 41 * SECOND, T0 + 42 * SECOND]
    expect(observeAll(d, 'dev', times)).toEqual([false, false, true, false, false, false, true])
  })

  it('places a late scan in its own window and keeps working after it', () => {
    const d = createScanBurstDetector({ windowMs, maxScans: 2, maxKeys: 10 })
    expect(observeAll(d, 'dev', [T0 + 30 * SECOND, T0 + 31 * SECOND])).toEqual([false, false])
    // Twenty seconds older than the newest: alone in its window.
    expect(d.observe('dev', T0 + 10 * SECOND)).toBe(false)
    // Back in order: the third within (T0+22 s, T0+32 s].
    expect(d.observe('dev', T0 + 32 * SECOND)).toBe(true)
    // A late scan counts the scans up to its own time, (t - window, t]: the newer ones do not make it a burst.
    expect(d.observe('dev', T0 + 29 * SECOND)).toBe(false)
    expect(d.observe('dev', T0 + 33 * SECOND)).toBe(true)
  })

  it('ignores a time that is not a number', () => {
    const d = createScanBurstDetector({ windowMs, maxScans: 1, maxKeys: 10 })
    expect([d.observe('dev', Number.NaN), d.observe('dev', T0), d.observe('dev', Number.POSITIVE_INFINITY)]).toEqual([false, false, false])
    expect(d.observe('dev', T0 + 1)).toBe(true)
  })
})

describe('scan burst: memory stays bounded', () => {
  it('evicts keys idle for a whole window', () => {
    const d = createScanBurstDetector({ windowMs: 10 * SECOND, maxScans: 2, maxKeys: 1000 })
    for (let i = 0; i < 50; i++) d.observe(`dev-${i}`, T0 + i)
    expect(d.size()).toBe(50)
    d.observe('late-comer', T0 + 10 * SECOND + 49)
    expect(d.size()).toBe(1)
  })

  it('never tracks more than maxKeys, forgetting the least recently seen', () => {
    const d = createScanBurstDetector({ windowMs: 60 * SECOND, maxScans: 1, maxKeys: 3 })
    d.observe('a', T0)
    d.observe('b', T0 + 1)
    d.observe('c', T0 + 2)
    expect(d.observe('a', T0 + 3)).toBe(true) // a second scan of a: now a is the most recently seen
    d.observe('d', T0 + 4) // one key too many: b, the least recently seen, goes
    expect(d.size()).toBe(3)
    expect(d.observe('b', T0 + 5)).toBe(false) // forgotten: its first scan again
    expect(d.observe('a', T0 + 6)).toBe(true) // remembered
    for (let i = 0; i < 10_000; i++) d.observe(`k-${i}`, T0 + 10 + i)
    expect(d.size()).toBe(3)
  })

  it('trims a large key set in batches, never above maxKeys, keeping the most recent keys', () => {
    const d = createScanBurstDetector({ windowMs: 60 * SECOND, maxScans: 1, maxKeys: 64 })
    const sizes = Array.from({ length: 10_000 }, (_, i) => { d.observe(`k-${i}`, T0 + i); return d.size() })
    expect(Math.max(...sizes)).toBe(64)
    // 64 - 64/16: one walk to the front per 4 new keys.
    expect(Math.min(...sizes.slice(64))).toBe(60)
    expect(d.observe('k-9999', T0 + 10_000)).toBe(true)
  })

  it('keeps a burst flagged however long it lasts', () => {
    const d = createScanBurstDetector({ windowMs: 10 * SECOND, maxScans: 5, maxKeys: 10 })
    const flagged = Array.from({ length: 1000 }, (_, i) => d.observe('dev', T0 + i * 100)).filter(Boolean).length
    expect(flagged).toBe(1000 - 5)
  })
})

describe('scan burst: options', () => {
  it('refuses options that cannot work, naming each', () => {
    expect(() => createScanBurstDetector({ windowMs: 0, maxScans: 1.5, maxKeys: 0 })).toThrow(
      'scan burst: windowMs must be a positive number; maxScans must be an integer of at least 1; maxKeys must be an integer of at least 1'
    )
  })
})
