import { describe, expect, it } from 'vitest'
import { SnapshotRateLimitStore, type RateLimitAnswer } from '../../../gateway/http/rate-limit-store.js'

const incr = (store: SnapshotRateLimitStore, key: string, windowMs = 1000): RateLimitAnswer => {
  let answer: RateLimitAnswer | undefined
  store.incr(key, (_err, res) => { answer = res }, windowMs)
  return answer as RateLimitAnswer
}

describe('SnapshotRateLimitStore', () => {
  it('answers snapshots: an earlier answer is not changed by later increments', () => {
    const store = new SnapshotRateLimitStore({ now: () => 0 })
    const first = incr(store, 'k')
    const second = incr(store, 'k')
    expect([first, second]).toEqual([{ current: 1, ttl: 1000 }, { current: 2, ttl: 1000 }])
  })

  it('counts in fixed windows per key', () => {
    let now = 0
    const store = new SnapshotRateLimitStore({ now: () => now })
    incr(store, 'a'); incr(store, 'a'); incr(store, 'b')
    now = 999
    expect(incr(store, 'a')).toEqual({ current: 3, ttl: 1 })
    now = 1000
    expect(incr(store, 'a')).toEqual({ current: 1, ttl: 1000 })
    expect(incr(store, 'b')).toEqual({ current: 1, ttl: 1000 })
  })

  it('is one store for every route, and holds at most maxKeys keys', () => {
    const store = new SnapshotRateLimitStore({ maxKeys: 3, now: () => 0 })
    expect(store.child()).toBe(store)
    for (const k of ['a', 'b', 'c', 'd', 'e']) incr(store, k)
    expect(store.size).toBe(3)
    expect(incr(store, 'a').current).toBe(1)
    expect(incr(store, 'e').current).toBe(2)
  })
})
