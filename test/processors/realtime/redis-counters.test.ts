/**
 * What only the Redis counters promise, checked on the server itself: the key layout and its
 * TTLs, one round trip per batch, and staying up when Redis is not.
 */
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import type { RealtimeCounters } from '../../../processors/realtime/counters.js'
import { defaultRealtimeMetrics } from '../../support/realtime-metrics.js'
import { createRedisCounters, type RedisCountersOptions } from '../../../processors/realtime/redis-counters.js'
import { canonical } from '../../support/events.js'
import { startRedis, type RunningServer } from '../../support/services.js'

const MINUTE = 60_000
const midnight = Date.UTC(2026, 10, 21, 16) // 2026-11-22 00:00 in UTC+8

let seq = 0
const ev = (over: Partial<CanonicalEvent>): CanonicalEvent => canonical({ eventId: `r${++seq}`, ...over })

const open: RealtimeCounters[] = []
const clients: Redis[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  for (const c of clients.splice(0)) c.disconnect()
})

function counters(over: Partial<RedisCountersOptions> & ({ url: string } | { client: Redis })): RealtimeCounters {
  const c = createRedisCounters({ timeZone: 'Asia/Shanghai', metrics: defaultRealtimeMetrics(), ...over })
  open.push(c)
  return c
}

function client(url: string): Redis {
  const c = new Redis(url)
  clients.push(c)
  return c
}

/** Calls per command since the last CONFIG RESETSTAT, without the test's own CONFIG and INFO. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    const name = m[1] as string
    if (!/^(config|info)/.test(name)) out[name] = Number(m[2])
  }
  return out
}

/** Reads the server has done on its sockets: a request sent in one write is (on loopback, under 16 KB) one read. */
async function readsProcessed(admin: Redis): Promise<number> {
  return Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))?.[1])
}

describe('Redis realtime counters', () => {
  it('keep one key per local day and per minute and metric, expiring after 7 days and 2 hours', async () => {
    const url = inject('redisUrl')
    const prefix = `test:rt:${randomUUID()}:`
    const c = counters({ url, keyPrefix: prefix })
    const t = midnight + 5 * MINUTE + 10_000
    await c.record([ev({ occurredAt: t, userId: 'u1' }), ev({ occurredAt: t, userId: 'u2' }),
      ev({ occurredAt: t, eventName: 'payment_success', properties: { amount: 500 } })])
    const redis = client(url)
    const minute = Math.floor(t / MINUTE)
    const ttlMinutes: Record<string, number> = {}
    for (const key of await redis.keys(`${prefix}*`)) ttlMinutes[key.slice(prefix.length)] = Math.round(await redis.ttl(key) / 60)
    const week = 7 * 24 * 60
    expect(ttlMinutes).toEqual({
      'day:2026-11-22:pv': week, 'day:2026-11-22:uv': week, 'day:2026-11-22:events': week, 'day:2026-11-22:payment_amount': week,
      [`min:${minute}:pv`]: 120, [`min:${minute}:uv`]: 120, [`min:${minute}:events`]: 120, [`min:${minute}:payment_amount`]: 120
    })
    const day = `${prefix}day:2026-11-22:`
    expect(await redis.mget(`${day}pv`, `${day}events`, `${day}payment_amount`)).toEqual(['2', '3', '500'])
    expect(await redis.pfcount(`${day}uv`)).toBe(2)
  })

  it('use a client given to them, and leave it open', async () => {
    const url = inject('redisUrl')
    const given = client(url)
    const c = createRedisCounters({ client: given, keyPrefix: `test:rt:${randomUUID()}:`, timeZone: 'UTC', metrics: defaultRealtimeMetrics() })
    await c.record([ev({ occurredAt: Date.UTC(2026, 10, 21, 8), userId: 'u1' })])
    expect(await c.day('2026-11-21')).toEqual({ pv: 1, uv: 1, events: 1, payment_amount: 0 })
    await c.close()
    expect(await given.ping()).toBe('PONG')
  })
})

describe('Redis realtime counters on a server of their own', () => {
  let server: RunningServer
  beforeAll(async () => { server = await startRedis() })
  afterAll(async () => { await server.stop() })

  it('write a batch as one MULTI/EXEC in one round trip: 10 events and 1,000 send the same commands', async () => {
    const admin = client(server.url)
    const c = counters({ url: server.url })
    await c.day('2026-11-21') // connected before the count starts
    // Half the events on each side of midnight: 2 days × 2 minutes, 3 metrics with data each.
    const batch = (n: number): CanonicalEvent[] =>
      Array.from({ length: n }, (_, i) => ev({ occurredAt: i % 2 === 0 ? midnight - 1 : midnight, userId: `u${i}` }))
    const sent = async (n: number): Promise<{ commands: Record<string, number>; reads: number }> => {
      await admin.config('RESETSTAT')
      const before = await readsProcessed(admin)
      await c.record(batch(n))
      // Minus the read of the INFO that asks.
      const reads = await readsProcessed(admin) - before - 1
      return { commands: await commandCalls(admin), reads }
    }
    const expected = { commands: { multi: 1, exec: 1, incrby: 8, pfadd: 4, expire: 12 }, reads: 1 }
    expect({ 10: await sent(10), 1000: await sent(1_000) }).toEqual({ 10: expected, 1000: { ...expected, reads: expect.any(Number) } })
    const { uv: _uv, ...exact } = await c.day('2026-11-22')
    expect({ errors: c.errors(), exact }).toEqual({ errors: 0, exact: { pv: 505, events: 505, payment_amount: 0 } })
  })

  it('while Redis is down: record() resolves at once and counts the failure, reads reject, the process stays up', async () => {
    const own = await startRedis()
    const told: Error[] = []
    const c = counters({ url: own.url, commandTimeoutMs: 500, onError: (err) => told.push(err) })
    await c.record([ev({ occurredAt: midnight })])
    await own.stop()
    const timed = async (): Promise<number> => {
      const started = performance.now()
      await c.record([ev({ occurredAt: midnight })])
      return performance.now() - started
    }
    const ms = [await timed(), await timed()]
    expect(ms.every((t) => t < 1_000)).toBe(true)
    await expect(c.day('2026-11-22')).rejects.toThrow()
    expect({ errors: c.errors(), notWritten: told.filter((e) => /not written/.test(e.message)).length })
      .toEqual({ errors: 2, notWritten: 2 })
  })

  it('bound the wait for a server that accepts connections but never answers', async () => {
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((s) => { sockets.add(s) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as net.AddressInfo
      const c = counters({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 })
      const started = performance.now()
      await c.record([ev({ occurredAt: midnight })])
      expect({ errors: c.errors(), fast: performance.now() - started < 1_500 }).toEqual({ errors: 1, fast: true })
      await c.close()
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
