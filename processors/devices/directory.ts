import type { Db } from '../db/db.js'

/** What the hot paths need of a registered device: where it belongs and how often it beats. */
export interface DirectoryEntry {
  storeId: string
  heartbeatIntervalS: number
  enabled: boolean
}

export interface DeviceDirectory {
  /** The registered device, or undefined; never waits for the store. */
  get(deviceId: string): DirectoryEntry | undefined
  /** Every registered device. */
  entries(): ReadonlyMap<string, DirectoryEntry>
  /** Reloads the whole registry (changes through this gateway at once, other replicas' on the timer). */
  refresh(): Promise<void>
  close(): void
}

/**
 * Every registered device's store, interval and state, in memory: each heartbeat asks which
 * interval and store win (SPEC §3), and a query per heartbeat — or a cache that expires under
 * 15,000 devices beating every 5 s — would put the registry on the path of every message.
 * A row is three short fields, so even a large fleet is a few MB; it is reloaded whole every
 * `refreshMs` and after every change made through this gateway. Concurrent refreshes share one load.
 */
export async function createDeviceDirectory(db: Db, opts: { refreshMs?: number; onError?: (err: Error) => void } = {}): Promise<DeviceDirectory> {
  let devices = new Map<string, DirectoryEntry>()
  let loading: Promise<void> | undefined
  let again = false
  const load = async (): Promise<void> => {
    const { rows } = await db.query<{ device_id: string; store_id: string; heartbeat_interval_s: number; enabled: boolean }>(
      'SELECT device_id, store_id, heartbeat_interval_s, enabled FROM devices')
    devices = new Map(rows.map((r) => [r.device_id, { storeId: r.store_id, heartbeatIntervalS: r.heartbeat_interval_s, enabled: r.enabled }]))
  }
  // A change committed while a load runs may be missed by it: one more load follows.
  const refresh = (): Promise<void> => {
    if (loading !== undefined) {
      again = true
      return loading
    }
    loading = (async () => {
      try {
        do {
          again = false
          await load()
        } while (again)
      } finally {
        loading = undefined
      }
    })()
    return loading
  }
  await refresh()
  const timer = setInterval(() => { refresh().catch((err: Error) => opts.onError?.(err)) }, opts.refreshMs ?? 30_000)
  timer.unref()
  return {
    get: (deviceId) => devices.get(deviceId),
    entries: () => devices,
    refresh,
    close: () => clearInterval(timer)
  }
}
