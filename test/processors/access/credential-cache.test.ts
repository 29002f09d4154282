import { describe, expect, it } from 'vitest'
import { createCredentialCache } from '../../../processors/access/credential-cache.js'
import type { DeviceCredentials } from '../../../processors/devices/device-sql.js'

const creds = (deviceId: string, digest: string): DeviceCredentials => ({
  digest,
  device: { deviceId, storeId: 's', tableId: null, heartbeatIntervalS: 5, enabled: true, secretPrefix: 'abcd', createdAt: '', updatedAt: '', lastRotatedAt: null }
})

/** A loader whose lookups resolve only when told, counting them. */
function slowLoader(rows: Map<string, DeviceCredentials>) {
  const waiting: Array<() => void> = []
  const loader = {
    calls: [] as string[],
    load: (id: string) => {
      loader.calls.push(id)
      const row = rows.get(id) ?? null
      return new Promise<DeviceCredentials | null>((resolve) => waiting.push(() => resolve(row)))
    },
    release: () => { for (const w of waiting.splice(0)) w() }
  }
  return loader
}

describe('device credential cache', () => {
  it('shares one lookup between concurrent checks of one device', async () => {
    const loader = slowLoader(new Map([['d1', creds('d1', 'aa')]]))
    const cache = createCredentialCache(loader.load, { ttlMs: 1000, maxEntries: 10, now: () => 0 })
    const all = Promise.all([cache.get('d1'), cache.get('d1'), cache.get('d1')])
    loader.release()
    expect((await all).map((c) => c?.digest)).toEqual(['aa', 'aa', 'aa'])
    expect(await cache.get('d1')).toMatchObject({ digest: 'aa' })
    expect(loader.calls).toEqual(['d1'])
  })

  it('remembers at most maxEntries ids, negative ones included', async () => {
    const calls: string[] = []
    const cache = createCredentialCache(async (id) => { calls.push(id); return null }, { ttlMs: 1000, maxEntries: 2, now: () => 0 })
    for (const id of ['a', 'b', 'c', 'a', 'c']) await cache.get(id)
    expect(calls).toEqual(['a', 'b', 'c', 'a'])
  })

  it('does not remember a lookup that was in flight when its device changed', async () => {
    const rows = new Map([['d1', creds('d1', 'old')]])
    const loader = slowLoader(rows)
    const cache = createCredentialCache(loader.load, { ttlMs: 60_000, maxEntries: 10, now: () => 0 })
    const before = cache.get('d1')
    rows.set('d1', creds('d1', 'new')) // the rotation commits…
    cache.forget(['d1']) // …and forgets d1, while the old read is still in flight
    const after = cache.get('d1')
    loader.release()
    expect((await before)?.digest).toBe('old')
    expect((await after)?.digest).toBe('new')
    expect((await cache.get('d1'))?.digest).toBe('new')
    expect(loader.calls).toEqual(['d1', 'd1'])
  })

  it('drops expired entries at the next lookup, and looks them up again when asked', async () => {
    let now = 0
    const calls: string[] = []
    const cache = createCredentialCache(async (id) => { calls.push(id); return creds(id, 'aa') }, { ttlMs: 1000, maxEntries: 10, now: () => now })
    for (const id of ['a', 'b', 'c']) {
      await cache.get(id)
      now += 300
    }
    expect(cache.size).toBe(3)
    now = 1350 // a (remembered at 0) and b (300) are no longer trusted; c (600) is
    expect((await cache.get('c'))?.digest).toBe('aa')
    expect(cache.size).toBe(1)
    expect((await cache.get('a'))?.digest).toBe('aa')
    expect(calls).toEqual(['a', 'b', 'c', 'a'])
    expect(cache.size).toBe(2)
  })
})
