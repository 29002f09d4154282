/**
 * The store behind the per-key rate limit: fixed windows per key, shared by every route (the
 * limit is per key, not per key and route), holding at most `maxKeys` keys (the oldest window
 * goes first, so a flood of made-up keys cannot grow memory).
 *
 * Why not the plugin's LocalStore: it answers with its own mutable record, and the plugin reads
 * `current` only after an await. Requests of one key that arrive together (they resume from the
 * same key lookup) all increment before any of them reads, so each sees the final count and a
 * burst of 4 against a limit of 2 admitted none. Here every answer is a snapshot.
 */
interface Window { count: number; startMs: number }

export interface RateLimitAnswer { current: number; ttl: number }

export interface SnapshotStoreOptions {
  maxKeys?: number
  now?: () => number
}

export class SnapshotRateLimitStore {
  private readonly windows = new Map<string, Window>()
  private readonly maxKeys: number
  private readonly now: () => number
  /** The plugin constructs it with its own settings object; only ours are read from it. */
  constructor (options: SnapshotStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000
    this.now = options.now ?? Date.now
  }

  get size (): number {
    return this.windows.size
  }

  incr (key: string, cb: (err: Error | null, res: RateLimitAnswer) => void, timeWindow: number): void {
    const nowMs = this.now()
    let w = this.windows.get(key)
    if (w === undefined || w.startMs + timeWindow <= nowMs) {
      this.windows.delete(key)
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value as string)
      w = { count: 0, startMs: nowMs }
      this.windows.set(key, w)
    }
    w.count++
    cb(null, { current: w.count, ttl: w.startMs + timeWindow - nowMs })
  }

  /** The plugin asks each route for a child store; one shared store makes the limit per key. */
  child (): this {
    return this
  }
}
