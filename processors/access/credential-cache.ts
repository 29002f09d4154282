export interface CredentialCacheOptions {
  /** How long a lookup is trusted; a change made through another replica takes this long here. */
  ttlMs: number
  /** Device ids remembered at most, so a flood of made-up ids cannot grow memory. */
  maxEntries: number
  now: () => number
}

export interface CredentialCache<T> {
  /** The credentials, or null for an unknown id; from the cache while fresh. */
  get(id: string): Promise<T | null>
  /** Forgets these ids (changed through this process), including lookups in flight. */
  forget(ids: Iterable<string>): void
  /** Forgets everything, including lookups in flight. */
  clear(): void
  /** Entries held: fresh ones, and expired ones until the next lookup drops them. */
  readonly size: number
}

interface Entry<T> { found: T | null; at: number }

/**
 * The one credential cache of the gateway, in front of `api_keys` (keyed by digest), `devices`
 * and `mqtt_accounts` (keyed by id): known entries are cached with their digest, so a wrong password costs a SHA-256 and no query;
 * unknown ids are cached negatively; concurrent lookups of one id share one query. A lookup
 * that was in flight when its device changed is not remembered (the `generation` check), so a
 * rotated secret can never be cached back by a query that read the old row.
 */
export function createCredentialCache<T>(load: (deviceId: string) => Promise<T | null>, opts: CredentialCacheOptions): CredentialCache<T> {
  const entries = new Map<string, Entry<T>>()
  const pending = new Map<string, Promise<T | null>>()
  let generation = 0

  // Entries are kept in the order they were remembered, so the expired ones are at the front:
  // each lookup drops them. Kept until evicted, a fleet's entries stayed long after their last
  // use (a device checks its secret once per connection): 480 bytes per connected device of a
  // 15,000-device fleet in heap snapshots (bench/connections.ts), up to `maxEntries` of them.
  const dropExpired = (now: number): void => {
    for (const [id, entry] of entries) {
      if (now - entry.at < opts.ttlMs) return
      entries.delete(id)
    }
  }
  const remember = (deviceId: string, found: T | null): void => {
    entries.delete(deviceId)
    if (entries.size >= opts.maxEntries) entries.delete(entries.keys().next().value as string)
    entries.set(deviceId, { found, at: opts.now() })
  }
  const lookup = (deviceId: string): Promise<T | null> => {
    const inFlight = pending.get(deviceId)
    if (inFlight !== undefined) return inFlight
    const started = generation
    const p = load(deviceId)
      .then((found) => {
        if (started === generation) remember(deviceId, found)
        return found
      })
      .finally(() => { if (pending.get(deviceId) === p) pending.delete(deviceId) })
    pending.set(deviceId, p)
    return p
  }

  return {
    async get(deviceId) {
      const now = opts.now()
      dropExpired(now)
      const hit = entries.get(deviceId)
      return hit !== undefined && now - hit.at < opts.ttlMs ? hit.found : lookup(deviceId)
    },
    forget(deviceIds) {
      generation++
      for (const id of deviceIds) {
        entries.delete(id)
        pending.delete(id)
      }
    },
    clear() {
      generation++
      entries.clear()
      pending.clear()
    },
    get size() { return entries.size }
  }
}
