import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createMemoryLease, createRedisLease, type Lease, type MemoryLeases } from '../../../processors/coordination/lease.js'

const TTL = 300
const clients: Redis[] = []
afterAll(async () => { await Promise.all(clients.map((c) => c.quit())) })

/** Two competitors for one fresh lease key, as two replicas (or two workers of one process) would be. */
type Pair = () => { a: Lease; b: Lease }

const memory: Pair = () => {
  const leases: MemoryLeases = new Map()
  return { a: createMemoryLease(leases, 'k', { owner: 'a', ttlMs: TTL }), b: createMemoryLease(leases, 'k', { owner: 'b', ttlMs: TTL }) }
}

const redis: Pair = () => {
  const key = `pulsegate:test:lease:${randomUUID()}`
  const client = (): Redis => { const c = new Redis(inject('redisUrl')); clients.push(c); return c }
  return { a: createRedisLease(client(), key, { owner: 'replica-a', ttlMs: TTL }), b: createRedisLease(client(), key, { owner: 'replica-b', ttlMs: TTL }) }
}

describe.each([['memory', memory], ['redis', redis]] as const)('%s lease contract', (_name, pair) => {
  it('grants one holder at a time, the same token to the holder asking again, a higher one to the next', async () => {
    const { a, b } = pair()
    const first = await a.acquire()
    expect(first).toBeGreaterThan(0)
    expect(await b.acquire()).toBeNull()
    expect(await a.acquire()).toBe(first)
    await a.release(first as number)
    const second = await b.acquire()
    expect(second).toBe((first as number) + 1)
    expect(await a.acquire()).toBeNull()
  })

  it('expires a holder that stops renewing; its late renewal and release change nothing', async () => {
    const { a, b } = pair()
    const stale = await a.acquire() as number
    expect(await a.renew(stale)).toBe(true)
    await sleep(TTL + 100)
    const next = await b.acquire() as number
    expect(next).toBeGreaterThan(stale)
    expect(await a.renew(stale)).toBe(false)
    await a.release(stale)
    expect(await b.renew(next)).toBe(true)
    expect(await a.acquire()).toBeNull()
  })

  it('keeps a holder that renews within its lease', async () => {
    const { a, b } = pair()
    const token = await a.acquire() as number
    for (let i = 0; i < 4; i++) {
      await sleep(TTL / 2)
      expect(await a.renew(token)).toBe(true)
      expect(await b.acquire()).toBeNull()
    }
  })
})
