/**
 * A lease with fencing (scale-out, issue 7): one holder at a time across replicas for work that
 * must run once — the presence sweeper, gauges published once. `acquire` returns a fencing
 * token that grows with every new holder, so a holder that stalled past its lease and wakes up
 * can be told apart from the current one (writes carry the token; the store refuses older ones).
 *
 * Embedded mode has one process: the memory lease always grants, with the same contract. The
 * Redis lease keeps `{key}` (the holder, expiring with the lease) and `{key}:fence` (the token
 * counter, never expiring); each operation is one Lua script, so check-and-set is atomic.
 */
import type { Redis } from 'ioredis'

export interface Lease {
  /** The fencing token if this owner holds the lease now (newly or still), else null. */
  acquire(): Promise<number | null>
  /** Extends the lease if this owner still holds it with `token`; false when it was lost. */
  renew(token: number): Promise<boolean>
  /** Gives the lease up if this owner holds it with `token`. */
  release(token: number): Promise<void>
}

export interface LeaseOptions {
  /** Who asks: unique per process (host:pid:random). */
  owner: string
  /** How long a lease lasts without renewal. */
  ttlMs: number
}

/** Holders of memory leases by key: one per process, shared by the owners that compete in it. */
export type MemoryLeases = Map<string, { owner: string; token: number; until: number; fence: number }>

/** The embedded lease: owners of one process compete through `leases`, with the Redis lease's contract. */
export function createMemoryLease(leases: MemoryLeases, key: string, opts: LeaseOptions & { now?: () => number }): Lease {
  const now = opts.now ?? Date.now
  /** The holder record if `opts.owner` holds the lease now (with `token`, when given). */
  const held = (token?: number): { token: number; until: number } | undefined => {
    const h = leases.get(key)
    return h !== undefined && h.owner === opts.owner && h.until > now() && (token === undefined || h.token === token) ? h : undefined
  }
  return {
    async acquire() {
      const mine = held()
      if (mine !== undefined) {
        mine.until = now() + opts.ttlMs
        return mine.token
      }
      const h = leases.get(key)
      if (h !== undefined && h.until > now()) return null
      const fence = (h?.fence ?? 0) + 1
      leases.set(key, { owner: opts.owner, token: fence, until: now() + opts.ttlMs, fence })
      return fence
    },
    async renew(token) {
      const mine = held(token)
      if (mine === undefined) return false
      mine.until = now() + opts.ttlMs
      return true
    },
    async release(token) {
      // The fence stays: the next holder's token is still higher.
      const mine = held(token)
      if (mine !== undefined) mine.until = 0
    }
  }
}

// The holder's value is `owner token`; a holder asking again keeps its token.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ' ', 1, true)
  if string.sub(cur, 1, sep - 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(cur, sep + 1))
  end
  return false
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token`

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0`

/** The lease in Redis under `key`: any replica on the same Redis competes for it. */
export function createRedisLease(client: Redis, key: string, opts: LeaseOptions): Lease {
  if (opts.owner.includes(' ')) throw new Error('a lease owner cannot contain a space')
  const ttl = String(opts.ttlMs)
  return {
    async acquire() {
      const token = await client.eval(ACQUIRE, 2, key, `${key}:fence`, opts.owner, ttl) as number | null
      return token === null ? null : Number(token)
    },
    async renew(token) {
      return (await client.eval(RENEW, 1, key, `${opts.owner} ${token}`, ttl)) === 1
    },
    async release(token) {
      await client.eval(RELEASE, 1, key, `${opts.owner} ${token}`)
    }
  }
}
