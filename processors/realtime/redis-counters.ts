import { Redis, type ChainableCommander } from 'ioredis'
import { localDay, windowMinutes, type CountersOptions, type RealtimeCounters } from './counters.js'
import { emptyBucket, tallyBatch, type Bucket } from './tally.js'

/** Options of the Redis counters: a URL (the counters own their client) or a client of yours. */
export type RedisCountersOptions = CountersOptions & RedisTuning & ({ url: string; client?: undefined } | { client: Redis; url?: undefined })

interface RedisTuning {
  /** Prepended to every key, so several gateways or test runs share a server. */
  keyPrefix?: string
  /**
   * Longest a command, or the wait for the first connection, may take before record() gives
   * up and counts the failure (own client only). Default 1000 ms.
   */
  commandTimeoutMs?: number
}

const DEFAULT_PREFIX = 'pulsegate:rt:'
const DEFAULT_COMMAND_TIMEOUT_MS = 1_000
/** Day keys outlive their day by a week after their last write, as the embedded 7 days. */
const DAY_TTL_S = 7 * 86_400
/** Minute keys serve the 1 h window; 2 h after their last write they go. */
const MINUTE_TTL_S = 2 * 3_600
/** Identities per PFADD, so a huge batch never spreads into one call's arguments. */
const PFADD_CHUNK = 1_000

/**
 * The full stack's counters (SPEC §7). Keys, per metric (`<p>` is `keyPrefix`):
 *   `<p>day:<YYYY-MM-DD>:<metric>`  local day in the zone; TTL 7 days
 *   `<p>min:<epoch minute>:<metric>` minute of occurredAt (UTC epoch ms / 60000); TTL 2 h
 * A count or sum is a string integer (INCRBY; sums in minor units, never floats), a unique a
 * HyperLogLog (PFADD; PFCOUNT over several minute keys is their union, within 0.81 % standard
 * error). A batch is added up in process first and written as one MULTI/EXEC, sent in one
 * write: one round trip per record(), however many events, and readers never see half a batch.
 *
 * Failure: the client's offline queue is off and it neither retries nor resends a command cut
 * by a disconnect (an INCRBY is not idempotent: at most once, never twice). While Redis is down
 * record() fails at once, counts it in errors() and resolves; a server that accepts but does not
 * answer is bounded by `commandTimeoutMs`. The client reconnects on its own; connection errors
 * go to `onError`, once per outage. Reads (day, window) reject while Redis is down.
 */
export function createRedisCounters(opts: RedisCountersOptions): RealtimeCounters {
  const timeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  const client = opts.client ?? ownClient(opts.url, timeoutMs, opts.onError)
  const key = keys(opts.keyPrefix ?? DEFAULT_PREFIX)
  const dayOf = localDay(opts.timeZone)
  const ready = firstReady(client, timeoutMs)
  let errors = 0
  const fail = (err: Error): void => {
    errors++
    opts.onError?.(err)
  }
  return {
    async record(events) {
      const days = new Map<string, Bucket>()
      const minutes = new Map<number, Bucket>()
      const failure = tallyBatch(events, opts.metrics, dayOf, { day: bucketIn(days), minute: bucketIn(minutes) })
      if (days.size === 0) {
        if (failure !== undefined) fail(failure)
        return
      }
      try {
        await ready()
        const tx = client.multi()
        for (const [day, b] of days) writeBucket(tx, key.day(day), b, DAY_TTL_S)
        for (const [minute, b] of minutes) writeBucket(tx, key.minute(minute), b, MINUTE_TTL_S)
        repliesOf(await tx.exec())
        if (failure !== undefined) fail(failure)
      } catch (err) {
        fail(new Error(`realtime counters: ${events.length} events not written to Redis`, { cause: err }))
      }
    },
    async day(day) {
      await ready()
      const p = client.pipeline()
      for (const m of opts.metrics) {
        if (m.kind === 'unique') p.pfcount(key.day(day)(m.name))
        else p.get(key.day(day)(m.name))
      }
      const replies = repliesOf(await p.exec())
      return Object.fromEntries(opts.metrics.map((m, i) => [m.name, Number(replies[i] ?? 0)]))
    },
    async window(w, nowMs = Date.now()) {
      await ready()
      const prefixes = windowMinutes(w, nowMs).map(key.minute)
      const p = client.pipeline()
      for (const m of opts.metrics) {
        const names = prefixes.map((prefix) => prefix(m.name))
        if (m.kind === 'unique') p.pfcount(names)
        else p.mget(names)
      }
      const replies = repliesOf(await p.exec())
      return Object.fromEntries(opts.metrics.map((m, i) => [m.name, total(replies[i])]))
    },
    errors: () => errors,
    async close() {
      if (opts.client !== undefined) return
      // QUIT lets replies in flight arrive; a client that is not connected just stops reconnecting.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    }
  }
}

function ownClient(url: string, timeoutMs: number, onError: ((err: Error) => void) | undefined): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000)
  })
  // Without a listener an 'error' event would crash the process; reconnecting is ioredis's job.
  let reported = false
  client.on('error', (err: Error) => {
    if (reported) return
    reported = true
    onError?.(new Error('realtime counters: Redis connection failed (reconnecting)', { cause: err }))
  })
  client.on('ready', () => { reported = false })
  return client
}

/**
 * Waits, at most `timeoutMs`, for the client's first connection: commands sent before it would
 * fail, the offline queue being off. Once connected, a later outage fails commands at once.
 */
function firstReady(client: Redis, timeoutMs: number): () => Promise<void> {
  let connected = client.status === 'ready'
  if (!connected) client.once('ready', () => { connected = true })
  return async () => {
    if (connected || client.status === 'ready') return
    let done = (): void => {}
    const timer = setTimeout(() => done(), timeoutMs)
    await new Promise<void>((resolve) => {
      done = resolve
      client.once('ready', resolve)
    })
    clearTimeout(timer)
    client.off('ready', done)
  }
}

type KeyOf = (metric: string) => string

function keys(prefix: string): { day(day: string): KeyOf; minute(minute: number): KeyOf } {
  return {
    day: (day) => (metric) => `${prefix}day:${day}:${metric}`,
    minute: (minute) => (metric) => `${prefix}min:${minute}:${metric}`
  }
}

function bucketIn<K>(buckets: Map<K, Bucket>): (k: K) => Bucket {
  return (k) => {
    let b = buckets.get(k)
    if (b === undefined) buckets.set(k, b = emptyBucket())
    return b
  }
}

function writeBucket(tx: ChainableCommander, keyOf: KeyOf, b: Bucket, ttlS: number): void {
  for (const [metric, amount] of b.amounts) {
    tx.incrby(keyOf(metric), amount)
    tx.expire(keyOf(metric), ttlS)
  }
  for (const [metric, ids] of b.ids) {
    const all = [...ids]
    for (let i = 0; i < all.length; i += PFADD_CHUNK) tx.pfadd(keyOf(metric), ...all.slice(i, i + PFADD_CHUNK))
    tx.expire(keyOf(metric), ttlS)
  }
}

/** The replies of a pipeline or transaction; the first command error is thrown. */
function repliesOf(result: [Error | null, unknown][] | null): unknown[] {
  if (result === null) throw new Error('Redis transaction aborted')
  return result.map(([err, reply]) => {
    if (err !== null) throw err
    return reply
  })
}

/** An MGET over minute keys: missing keys are null. */
function total(reply: unknown): number {
  if (typeof reply === 'number') return reply
  return (reply as (string | null)[]).reduce((n, v) => n + (v === null ? 0 : Number(v)), 0)
}
