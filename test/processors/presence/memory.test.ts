import { describe, expect, it } from 'vitest'
import { random } from '../../support/helpers.js'
import { createMemoryPresence, systemClock } from '../../../processors/presence/memory.js'
import { MISSED_INTERVALS, type Beat, type Transition } from '../../../processors/presence/presence.js'
import { ManualClock } from './manual-clock.js'

const T0 = Date.parse('2024-01-15T10:00:00.000Z')
const INTERVAL = 5000
const DEADLINE = T0 + 3 * INTERVAL

function setup() {
  const clock = new ManualClock(T0)
  const presence = createMemoryPresence(clock)
  const seen: Transition[] = []
  presence.onTransition((t) => seen.push(t))
  /** A heartbeat received now, as the ingest feeds it (its `at` is the gateway clock). */
  const beat = (deviceId: string, over: Partial<Beat> = {}): Transition | null =>
    presence.beat({ deviceId, storeId: 'store_001', intervalMs: INTERVAL, at: clock.now(), online: true, ...over })
  return { clock, presence, seen, beat }
}

describe('memory presence: first heartbeat', () => {
  it('misses 3 intervals before going offline', () => {
    expect(MISSED_INTERVALS).toBe(3)
  })

  it('brings a device online and tells every listener', () => {
    const { presence, seen, beat } = setup()
    const also: Transition[] = []
    presence.onTransition((t) => also.push(t))
    const expected = { deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: T0 }
    expect(beat('dev_table_01')).toEqual(expected)
    expect(seen).toEqual([expected])
    expect(also).toEqual([expected])
  })

  it('records the whole device state', () => {
    const { presence, beat } = setup()
    beat('dev_table_01')
    expect(presence.get('dev_table_01')).toEqual({
      deviceId: 'dev_table_01', storeId: 'store_001', online: true, lastSeen: T0, deadline: DEADLINE, since: T0, reason: 'first_heartbeat'
    })
  })

  it('arms one timer, for the deadline', () => {
    const { clock, beat } = setup()
    beat('dev_table_01')
    expect(clock.pending).toEqual([DEADLINE])
    expect(clock.delays).toEqual([3 * INTERVAL])
  })

  it('reports no transition for further heartbeats while online', () => {
    const { clock, seen, beat } = setup()
    beat('dev_table_01')
    clock.advance(INTERVAL)
    expect(beat('dev_table_01')).toBeNull()
    expect(seen).toHaveLength(1)
  })
})

describe('memory presence: heartbeat timeout', () => {
  it('keeps the device online until one millisecond before its deadline', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(DEADLINE - 1)
    expect(seen).toHaveLength(1)
    expect(presence.get('dev_table_01')?.online).toBe(true)
  })

  it('takes the device offline exactly at lastSeen + 3 intervals, at the deadline', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(DEADLINE)
    expect(seen).toEqual([
      { deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: T0 },
      { deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: DEADLINE }
    ])
    expect(presence.get('dev_table_01')).toEqual({
      deviceId: 'dev_table_01', storeId: 'store_001', online: false, lastSeen: T0, deadline: DEADLINE, since: DEADLINE, reason: 'heartbeat_timeout'
    })
    expect(clock.pending).toEqual([])
  })

  it('stamps the transition with the deadline even when the timer runs late', () => {
    const { clock, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(DEADLINE + 60_000)
    expect(seen[1]).toEqual({ deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: DEADLINE })
  })

  it('pushes the deadline back with each heartbeat', () => {
    const { clock, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 4000)
    beat('dev_table_01')
    clock.advanceTo(T0 + 9000)
    beat('dev_table_01')
    const deadline = T0 + 9000 + 3 * INTERVAL
    clock.advanceTo(DEADLINE)
    expect(seen).toHaveLength(1)
    clock.advanceTo(deadline - 1)
    expect(seen).toHaveLength(1)
    clock.advanceTo(deadline)
    expect(seen.slice(1)).toEqual([{ deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: deadline }])
  })

  it('uses each heartbeat\'s own interval', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01', { intervalMs: 60_000 })
    clock.advanceTo(T0 + 10_000)
    beat('dev_table_01', { intervalMs: 1000 })
    expect(presence.get('dev_table_01')?.deadline).toBe(T0 + 13_000)
    clock.advanceTo(T0 + 13_000)
    expect(seen.slice(1)).toEqual([{ deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: T0 + 13_000 }])
  })

  it('re-arms after discarding a stale deadline, keeping one timer at a time', () => {
    const { clock, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 5000)
    beat('dev_table_01')
    expect(clock.pending).toEqual([DEADLINE])
    clock.advanceTo(DEADLINE)
    expect(clock.pending).toEqual([T0 + 5000 + 3 * INTERVAL])
  })
})

describe('memory presence: the device says it is offline', () => {
  it('goes offline on an online:false heartbeat with reason status', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 2000)
    expect(beat('dev_table_01', { online: false })).toEqual({ deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'status', at: T0 + 2000 })
    expect(presence.get('dev_table_01')).toEqual({
      deviceId: 'dev_table_01', storeId: 'store_001', online: false, lastSeen: T0 + 2000, deadline: DEADLINE, since: T0 + 2000, reason: 'status'
    })
    clock.advanceTo(DEADLINE + 60_000)
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', 'status'])
  })

  it('ignores online:false from an unknown device or one already offline', () => {
    const { clock, presence, seen, beat } = setup()
    expect(beat('dev_unknown', { online: false })).toBeNull()
    expect(presence.get('dev_unknown')).toBeUndefined()
    beat('dev_table_01')
    beat('dev_table_01', { online: false })
    clock.advance(1000)
    expect(beat('dev_table_01', { online: false })).toBeNull()
    expect(presence.get('dev_table_01')?.lastSeen).toBe(T0 + 1000)
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', 'status'])
  })

  it.each(['will', 'keepalive', 'status', 'closed'] as const)('goes offline through offline() with reason %s', (reason) => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 7000)
    expect(presence.offline('dev_table_01', reason, T0 + 7000)).toEqual({ deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason, at: T0 + 7000 })
    expect(presence.get('dev_table_01')).toEqual({
      deviceId: 'dev_table_01', storeId: 'store_001', online: false, lastSeen: T0, deadline: DEADLINE, since: T0 + 7000, reason
    })
    clock.advanceTo(DEADLINE + 60_000)
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', reason])
  })

  it('reports nothing for offline() of an unknown or already offline device', () => {
    const { presence, seen, beat } = setup()
    expect(presence.offline('dev_unknown', 'will', T0)).toBeNull()
    beat('dev_table_01')
    presence.offline('dev_table_01', 'will', T0 + 1)
    expect(presence.offline('dev_table_01', 'keepalive', T0 + 2)).toBeNull()
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', 'will'])
  })
})

describe('memory presence: back online', () => {
  it('comes back with first_heartbeat after a timeout, and times out again at the new deadline', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(DEADLINE + 10_000)
    const back = clock.now()
    expect(beat('dev_table_01')).toEqual({ deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: back })
    expect(presence.get('dev_table_01')).toEqual({
      deviceId: 'dev_table_01', storeId: 'store_001', online: true, lastSeen: back, deadline: back + 3 * INTERVAL, since: back, reason: 'first_heartbeat'
    })
    clock.advanceTo(back + 3 * INTERVAL)
    expect(seen).toEqual([
      { deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: T0 },
      { deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: DEADLINE },
      { deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: back },
      { deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: back + 3 * INTERVAL }
    ])
  })

  it('comes back after a will, and the will\'s stale deadline does not take it offline early', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 1000)
    presence.offline('dev_table_01', 'will', T0 + 1000)
    clock.advanceTo(T0 + 2000)
    beat('dev_table_01')
    clock.advanceTo(DEADLINE)
    expect(presence.get('dev_table_01')?.online).toBe(true)
    clock.advanceTo(T0 + 2000 + 3 * INTERVAL)
    expect(seen.map((t) => [t.online, t.reason, t.at])).toEqual([
      [true, 'first_heartbeat', T0], [false, 'will', T0 + 1000], [true, 'first_heartbeat', T0 + 2000], [false, 'heartbeat_timeout', T0 + 17_000]
    ])
  })

  it('comes back after a will with a shorter interval, and times out at the new, earlier deadline', () => {
    const { clock, presence, seen, beat } = setup()
    beat('dev_table_01')
    clock.advanceTo(T0 + 1000)
    presence.offline('dev_table_01', 'will', T0 + 1000)
    clock.advanceTo(T0 + 2000)
    beat('dev_table_01', { intervalMs: 1000 })
    clock.advanceTo(DEADLINE)
    expect(seen.map((t) => [t.online, t.reason, t.at])).toEqual([
      [true, 'first_heartbeat', T0], [false, 'will', T0 + 1000], [true, 'first_heartbeat', T0 + 2000], [false, 'heartbeat_timeout', T0 + 5000]
    ])
  })
})

describe('memory presence: a device beating for a long time', () => {
  it('times out once, at the deadline of its last heartbeat, after hundreds of heartbeats', () => {
    const { clock, seen, beat } = setup()
    for (let i = 0; i < 720; i++) {
      beat('dev_table_01')
      clock.advance(INTERVAL)
    }
    const last = T0 + 719 * INTERVAL
    clock.advanceTo(last + 3 * INTERVAL + 60_000)
    expect(seen).toEqual([
      { deviceId: 'dev_table_01', storeId: 'store_001', online: true, reason: 'first_heartbeat', at: T0 },
      { deviceId: 'dev_table_01', storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: last + 3 * INTERVAL }
    ])
    expect(clock.pending).toEqual([])
  })
})

describe('memory presence: many devices', () => {
  it('expires devices with different intervals in deadline order, with one timer armed at a time', () => {
    const { clock, seen, beat } = setup()
    const intervals = { d4: 4000, d1: 1000, d3: 3000, d2: 2000, d5: 5000 }
    for (const [id, intervalMs] of Object.entries(intervals)) {
      beat(id, { intervalMs })
      expect(clock.pending).toHaveLength(1)
    }
    expect(clock.pending).toEqual([T0 + 3000])
    clock.advanceTo(T0 + 60_000)
    expect(seen.filter((t) => !t.online)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5'].map((id, i) => ({
      deviceId: id, storeId: 'store_001', online: false, reason: 'heartbeat_timeout', at: T0 + 3000 * (i + 1)
    })))
  })

  it('expires devices that share a deadline together', () => {
    const { clock, seen, beat } = setup()
    beat('a')
    beat('b')
    clock.advanceTo(DEADLINE)
    expect(seen.filter((t) => !t.online).map((t) => [t.deviceId, t.at])).toEqual([['a', DEADLINE], ['b', DEADLINE]])
  })

  it('matches a reference model for random heartbeats of 40 devices', () => {
    const { clock, seen, beat } = setup()
    const next = random(20240115)
    const deadlines = new Map<string, number>()
    const expected: Array<[string, number]> = []
    for (let step = 0; step < 400; step++) {
      clock.advance(Math.floor(next() * 700))
      const id = `dev_${Math.floor(next() * 40)}`
      const intervalMs = 1000 * (1 + Math.floor(next() * 10))
      // The reference: a device whose deadline passed before this beat went offline at that deadline.
      const deadline = deadlines.get(id)
      if (deadline !== undefined && deadline <= clock.now()) expected.push([id, deadline])
      beat(id, { intervalMs, storeId: null })
      deadlines.set(id, clock.now() + 3 * intervalMs)
      expect(clock.pending.length).toBeLessThanOrEqual(1)
    }
    clock.advance(3 * 10_000)
    expected.push(...deadlines)
    const offline = seen.filter((t) => !t.online)
    const byTime = (a: [string, number], b: [string, number]): number => a[1] - b[1] || a[0].localeCompare(b[0])
    expect(offline.map((t): [string, number] => [t.deviceId, t.at]).sort(byTime)).toEqual(expected.sort(byTime))
    expect(offline.every((t) => t.reason === 'heartbeat_timeout')).toBe(true)
    // Emitted in deadline order.
    expect(offline.every((t, i) => i === 0 || t.at >= (offline[i - 1] as Transition).at)).toBe(true)
    expect(clock.pending).toEqual([])
  })
})

describe('memory presence: counts, list and get', () => {
  it('counts devices known and online per store, \'\' for devices without a store', () => {
    const { clock, presence, beat } = setup()
    beat('a', { storeId: 's1' })
    beat('b', { storeId: 's1' })
    beat('c', { storeId: 's2', intervalMs: 1000 })
    beat('d', { storeId: null })
    presence.offline('b', 'will', T0)
    clock.advanceTo(T0 + 3000)
    expect(presence.countsByStore()).toEqual(new Map([
      ['s1', { known: 2, online: 1 }],
      ['s2', { known: 1, online: 0 }],
      ['', { known: 1, online: 1 }]
    ]))
  })

  it('moves a device to the store its latest heartbeat names, and keeps the store when a heartbeat names none', () => {
    const { presence, beat } = setup()
    beat('a', { storeId: 's1' })
    beat('a', { storeId: 's2' })
    beat('a', { storeId: null })
    expect(presence.get('a')?.storeId).toBe('s2')
    expect(presence.countsByStore()).toEqual(new Map([['s2', { known: 1, online: 1 }]]))
  })

  it('returns an empty map and list when no device is known', () => {
    const { presence } = setup()
    expect(presence.countsByStore()).toEqual(new Map())
    expect(presence.list()).toEqual([])
    expect(presence.get('nobody')).toBeUndefined()
  })

  it('lists every device\'s whole state', () => {
    const { clock, presence, beat } = setup()
    beat('a')
    clock.advance(1000)
    beat('b', { storeId: null, intervalMs: 2000 })
    expect(presence.list()).toEqual([
      { deviceId: 'a', storeId: 'store_001', online: true, lastSeen: T0, deadline: DEADLINE, since: T0, reason: 'first_heartbeat' },
      { deviceId: 'b', storeId: null, online: true, lastSeen: T0 + 1000, deadline: T0 + 7000, since: T0 + 1000, reason: 'first_heartbeat' }
    ])
  })

  it('hands out copies: changing them changes nothing inside', () => {
    const { clock, presence, seen, beat } = setup()
    beat('a')
    const got = presence.get('a')
    const listed = presence.list()[0]
    if (got === undefined || listed === undefined) throw new Error('device a missing')
    got.online = false
    got.deadline = 0
    listed.storeId = 'elsewhere'
    listed.deadline = 0
    expect(presence.get('a')).toEqual({ deviceId: 'a', storeId: 'store_001', online: true, lastSeen: T0, deadline: DEADLINE, since: T0, reason: 'first_heartbeat' })
    clock.advanceTo(DEADLINE)
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', 'heartbeat_timeout'])
  })
})

describe('memory presence: close', () => {
  it('clears the armed timer, so nothing fires afterwards', () => {
    const { clock, presence, seen, beat } = setup()
    beat('a')
    beat('b', { intervalMs: 1000 })
    expect(clock.pending).toEqual([T0 + 3000])
    presence.close()
    expect(clock.pending).toEqual([])
    clock.advanceTo(T0 + 3_600_000)
    expect(seen.map((t) => t.reason)).toEqual(['first_heartbeat', 'first_heartbeat'])
  })

  it('is safe to call with nothing armed, and twice', () => {
    const { clock, presence } = setup()
    presence.close()
    presence.close()
    expect(clock.pending).toEqual([])
  })
})

describe('regressions', () => {
  // memory.ts beat() emits `storeId: b.storeId` for a device coming back online, while its state
  // (and every offline transition) keeps the store it already knew: a heartbeat without store_id
  // yields a device_online event with no store, and the per-store views miss it.
  it('gives a returning device\'s online transition the store it is known in (online-transition-store-dropped)', () => {
    const { clock, presence, beat } = setup()
    beat('a', { storeId: 's1' })
    clock.advanceTo(DEADLINE)
    expect(beat('a', { storeId: null })).toEqual({ deviceId: 'a', storeId: 's1', online: true, reason: 'first_heartbeat', at: DEADLINE })
    expect(presence.get('a')?.storeId).toBe('s1')
  })
})

describe('systemClock', () => {
  it('reads the wall clock and runs unref\'d timers that can be cleared', async () => {
    const before = Date.now()
    expect(systemClock.now()).toBeGreaterThanOrEqual(before)
    const cleared = systemClock.setTimeout(() => { throw new Error('a cleared timer fired') }, 1)
    systemClock.clearTimeout(cleared)
    const handle = await new Promise<unknown>((resolve) => {
      const h: unknown = systemClock.setTimeout(() => resolve(h), 1)
    })
    expect((handle as NodeJS.Timeout).hasRef()).toBe(false)
  })
})
