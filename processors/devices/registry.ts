import type { Db } from '../db/db.js'
import { createCredentialCache } from '../access/credential-cache.js'
import { digestsEqual, secretDigest, type DeviceRecord, type DeviceWithSecret, type NewDevice } from './device-record.js'
import { findCredentials, getDevice, insertDevice, listDevices, rotateSecret, setEnabled, type DeviceFilter } from './device-sql.js'
import { importDeviceCsv, type ImportResult } from './import.js'

export interface DeviceRegistryOptions {
  db: Db
  /** How long a credential lookup is trusted; changes made through another replica take this long here. */
  cacheMs?: number
  /** Device ids whose credentials are remembered at most. */
  maxCached?: number
  /** Awaited after every change committed through this registry (the in-memory directory reloads), so the answer comes after it. */
  onChange?: () => Promise<void>
  now?: () => number
}

/** Why a CONNECT was refused: the broker maps these to MQTT return codes and counts them. */
export type DeviceRefusal = 'unknown_device' | 'wrong_secret' | 'disabled'

export type DeviceCheck = { ok: true; device: DeviceRecord } | { ok: false; reason: DeviceRefusal }

/** The device registry (SPEC §3): every change is audited in its own transaction. */
export interface DeviceRegistry {
  /** Registers a device and returns it with its secret, shown only now. PG_ERR_DEVICE_EXISTS, PG_ERR_DEVICE_INVALID. */
  add(input: NewDevice, actor: string): Promise<DeviceWithSecret>
  /** Ordered by device id; page with `after`. */
  list(filter?: DeviceFilter): Promise<DeviceRecord[]>
  get(deviceId: string): Promise<DeviceRecord | null>
  /** Null when there is no such device; disabling a disabled device changes nothing. */
  disable(deviceId: string, actor: string): Promise<DeviceRecord | null>
  enable(deviceId: string, actor: string): Promise<DeviceRecord | null>
  /** A new secret, shown only now; the old one stops working at once on this replica. */
  rotate(deviceId: string, actor: string): Promise<DeviceWithSecret | null>
  /** All or nothing; PG_ERR_CSV_INVALID lists every bad line. See processors/devices/import.ts. */
  importCsv(csv: string, actor: string): Promise<ImportResult>
  /** Checks a CONNECT's user name and password, and says why it is refused. */
  check(deviceId: string, secret: string): Promise<DeviceCheck>
  /** The device, or null when unknown, disabled or the secret is wrong. */
  authenticate(deviceId: string, secret: string): Promise<DeviceRecord | null>
}

export function createDeviceRegistry(opts: DeviceRegistryOptions): DeviceRegistry {
  const { db } = opts
  const cache = createCredentialCache((id) => findCredentials(db, id), {
    ttlMs: opts.cacheMs ?? 10_000, maxEntries: opts.maxCached ?? 50_000, now: opts.now ?? Date.now
  })
  /** Forgets the device after the change committed, so this replica sees it at once. */
  const changed = async <T>(ids: (result: T) => Iterable<string>, change: Promise<T>): Promise<T> => {
    const result = await change
    cache.forget(ids(result))
    await opts.onChange?.()
    return result
  }
  const check = async (deviceId: string, secret: string): Promise<DeviceCheck> => {
    const digest = secretDigest(secret)
    const found = await cache.get(deviceId)
    if (found === null) return { ok: false, reason: 'unknown_device' }
    if (!digestsEqual(digest, found.digest)) return { ok: false, reason: 'wrong_secret' }
    return found.device.enabled ? { ok: true, device: found.device } : { ok: false, reason: 'disabled' }
  }
  return {
    // A negative entry may be cached for this id (it tried to connect before it was added).
    add: (input, actor) => changed(() => [input.deviceId], insertDevice(db, input, actor)),
    list: (filter) => listDevices(db, filter),
    get: (deviceId) => getDevice(db, deviceId),
    disable: (deviceId, actor) => changed(() => [deviceId], setEnabled(db, deviceId, false, actor)),
    enable: (deviceId, actor) => changed(() => [deviceId], setEnabled(db, deviceId, true, actor)),
    rotate: (deviceId, actor) => changed(() => [deviceId], rotateSecret(db, deviceId, actor)),
    importCsv: (csv, actor) => changed((r) => [...r.created, ...r.updated].map((d) => d.deviceId), importDeviceCsv(db, csv, actor)),
    check,
    async authenticate(deviceId, secret) {
      const result = await check(deviceId, secret)
      return result.ok ? result.device : null
    }
  }
}
