import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A registered device (SPEC §3), as every caller sees it: never its secret nor its digest. */
export interface DeviceRecord {
  deviceId: string
  storeId: string
  tableId: string | null
  /** The registry's interval wins over a heartbeat's `interval_s` (SPEC §3). */
  heartbeatIntervalS: number
  /** A disabled device is refused at CONNECT; it keeps its secret for when it is enabled again. */
  enabled: boolean
  /** The secret's first characters, to tell secrets apart without showing them. */
  secretPrefix: string
  createdAt: string
  updatedAt: string
  /** When the secret was last replaced; null while it is the one issued at creation. */
  lastRotatedAt: string | null
}

/** A device with its new secret: the answer to add, rotate and import, and only those. */
export interface DeviceWithSecret extends DeviceRecord {
  secret: string
}

export interface NewDevice {
  deviceId: string
  storeId: string
  tableId?: string | null
  heartbeatIntervalS?: number
}

export const DEFAULT_HEARTBEAT_INTERVAL_S = 5
export const MAX_HEARTBEAT_INTERVAL_S = 3600
const PREFIX_CHARS = 4

/**
 * Ids become MQTT user names and topic levels (`devices/{id}/…`), so `/`, `+`, `#` and spaces
 * are refused; the same rule as app ids elsewhere.
 */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

/** MQTT user names of service accounts start with this, so no device id may (SPEC §3). */
export const SERVICE_USER_PREFIX = 'svc:'

// eslint-disable-next-line no-control-regex
export const TABLE_PATTERN = /^[^\u0000-\u001f\u007f]{1,128}$/

/** 128 random bits, base64url (22 characters): the device's MQTT password. */
export const newDeviceSecret = (): string => randomBytes(16).toString('base64url')

/** One SHA-256: the secret is high-entropy, so a slow password hash would only slow every CONNECT. */
export const secretDigest = (secret: string): string => createHash('sha256').update(secret).digest('hex')

export const secretPrefixOf = (secret: string): string => secret.slice(0, PREFIX_CHARS)

/** Constant-time comparison of two hex SHA-256 digests. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y)
}

export interface DeviceRow {
  device_id: string
  store_id: string
  table_id: string | null
  heartbeat_interval_s: number
  enabled: boolean
  secret_prefix: string
  created_at: Date
  updated_at: Date
  last_rotated_at: Date | null
}

/** The columns a DeviceRecord is read from; the digest is selected only where it is compared. */
export const DEVICE_COLUMNS = 'device_id, store_id, table_id, heartbeat_interval_s, enabled, secret_prefix, created_at, updated_at, last_rotated_at'

const iso = (d: Date | string): string => new Date(d).toISOString()

export function deviceOfRow(r: DeviceRow): DeviceRecord {
  return {
    deviceId: r.device_id, storeId: r.store_id, tableId: r.table_id, heartbeatIntervalS: r.heartbeat_interval_s,
    enabled: r.enabled, secretPrefix: r.secret_prefix, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
    lastRotatedAt: r.last_rotated_at === null ? null : iso(r.last_rotated_at)
  }
}

/** What is wrong with one field of a device, or null; shared by add and the CSV import. */
export function deviceFieldProblem(field: 'device_id' | 'store_id' | 'table_id' | 'heartbeat_interval_s', value: unknown): string | null {
  if (field === 'heartbeat_interval_s') {
    return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_HEARTBEAT_INTERVAL_S
      ? null : `${field} must be a whole number of seconds from 1 to ${MAX_HEARTBEAT_INTERVAL_S}, not ${JSON.stringify(value)}`
  }
  if (field === 'table_id') {
    // A label (`VIP 3`), never part of a topic: any text without control characters.
    return value === null || (typeof value === 'string' && TABLE_PATTERN.test(value))
      ? null : `table_id must be 1 to 128 characters without control characters, not ${JSON.stringify(value)}`
  }
  if (field === 'device_id' && typeof value === 'string' && value.startsWith(SERVICE_USER_PREFIX)) {
    return `device_id must not start with ${SERVICE_USER_PREFIX} (MQTT service accounts use it), not ${JSON.stringify(value)}`
  }
  return typeof value === 'string' && ID_PATTERN.test(value)
    ? null : `${field} must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not ${JSON.stringify(value)}`
}

/** Every problem of a new device, in field order. */
export function newDeviceProblems(d: NewDevice): Array<{ field: string; message: string }> {
  const checks: Array<[Parameters<typeof deviceFieldProblem>[0], unknown]> = [
    ['device_id', d.deviceId], ['store_id', d.storeId], ['table_id', d.tableId ?? null],
    ['heartbeat_interval_s', d.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S]
  ]
  return checks.flatMap(([field, value]) => {
    const message = deviceFieldProblem(field, value)
    return message === null ? [] : [{ field, message }]
  })
}
