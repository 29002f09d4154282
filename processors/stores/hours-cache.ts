import { compileOpeningHours, type OpeningHours } from './opening-hours.js'
import type { StoreRegistry } from './registry.js'

export interface OpeningHoursCache {
  /** Whether the store is open at `at`; a store with no row or no entries is always open. */
  isOpen(storeId: string | null, at: number): boolean
  /** Reloads every store (changes through this gateway, and other replicas'). */
  refresh(): Promise<void>
  close(): void
}

/**
 * Every store's opening hours, compiled, in memory: presence asks on the timer that takes a
 * device offline, which must not wait for a query (SPEC §6: outside opening hours a device
 * going offline is `closed` and raises no alarm). Reloaded every `refreshMs`.
 */
export async function createOpeningHoursCache(stores: StoreRegistry, opts: { refreshMs?: number; onError?: (err: Error) => void } = {}): Promise<OpeningHoursCache> {
  let compiled = new Map<string, OpeningHours>()
  const refresh = async (): Promise<void> => {
    const next = new Map<string, OpeningHours>()
    for (let after: string | undefined, page; (page = await stores.list({ after, limit: 1000 })).length > 0; after = page.at(-1)?.storeId) {
      for (const s of page) if (s.openingHours.length > 0) next.set(s.storeId, compileOpeningHours(s.openingHours))
    }
    compiled = next
  }
  await refresh()
  const timer = setInterval(() => { refresh().catch((err: Error) => opts.onError?.(err)) }, opts.refreshMs ?? 60_000)
  timer.unref()
  return {
    isOpen: (storeId, at) => storeId === null || (compiled.get(storeId)?.isOpen(new Date(at)) ?? true),
    refresh,
    close: () => clearInterval(timer)
  }
}
