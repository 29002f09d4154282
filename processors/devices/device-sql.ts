import { audit } from '../access/audit.js'
import type { Db, Queryable } from '../db/db.js'
import { errors, PulseGateError } from '../errors.js'
import {
  DEFAULT_HEARTBEAT_INTERVAL_S, DEVICE_COLUMNS, deviceOfRow, newDeviceProblems, newDeviceSecret, secretDigest, secretPrefixOf,
  type DeviceRecord, type DeviceRow, type DeviceWithSecret, type NewDevice
} from './device-record.js'

export interface DeviceFilter {
  storeId?: string
  enabled?: boolean
  /** Devices whose id sorts after this one (the last id of the previous page). */
  after?: string
  limit?: number
}

/** A device with its digest: what a CONNECT is checked against. */
export interface DeviceCredentials {
  device: DeviceRecord
  digest: string
}

/** Inserts a device and its audit record in one transaction; refuses an id already registered. */
export async function insertDevice(db: Db, input: NewDevice, actor: string): Promise<DeviceWithSecret> {
  const problems = newDeviceProblems(input)
  if (problems.length > 0) {
    throw new PulseGateError(errors.DEVICE_INVALID, problems.map((p) => p.message).join('; '), { details: { path: `/${(problems[0] as { field: string }).field}` } })
  }
  const secret = newDeviceSecret()
  const interval = input.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S
  const tableId = input.tableId ?? null
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DeviceRow>(
      `INSERT INTO devices (device_id, store_id, table_id, heartbeat_interval_s, secret_digest, secret_prefix)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id) DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
      [input.deviceId, input.storeId, tableId, interval, secretDigest(secret), secretPrefixOf(secret)])
    if (rows[0] === undefined) throw new PulseGateError(errors.DEVICE_EXISTS, input.deviceId)
    await audit(tx, { actor, action: 'device.create', target: input.deviceId, details: { store_id: input.storeId, table_id: tableId, heartbeat_interval_s: interval } })
    return { ...deviceOfRow(rows[0]), secret }
  })
}

export async function listDevices(db: Queryable, filter: DeviceFilter = {}): Promise<DeviceRecord[]> {
  const { rows } = await db.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS} FROM devices
      WHERE ($1::text IS NULL OR store_id = $1) AND ($2::boolean IS NULL OR enabled = $2) AND ($3::text IS NULL OR device_id > $3)
      ORDER BY device_id LIMIT $4`,
    [filter.storeId ?? null, filter.enabled ?? null, filter.after ?? null, filter.limit ?? 1000])
  return rows.map(deviceOfRow)
}

export async function getDevice(db: Queryable, deviceId: string): Promise<DeviceRecord | null> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE device_id = $1`, [deviceId])
  return rows[0] === undefined ? null : deviceOfRow(rows[0])
}

export async function findCredentials(db: Queryable, deviceId: string): Promise<DeviceCredentials | null> {
  const { rows } = await db.query<DeviceRow & { secret_digest: string }>(
    `SELECT ${DEVICE_COLUMNS}, secret_digest FROM devices WHERE device_id = $1`, [deviceId])
  return rows[0] === undefined ? null : { device: deviceOfRow(rows[0]), digest: rows[0].secret_digest }
}

/** Enables or disables a device; audited only when it changes. Null when there is no such device. */
export async function setEnabled(db: Db, deviceId: string, enabled: boolean, actor: string): Promise<DeviceRecord | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DeviceRow>(
      `UPDATE devices SET enabled = $2, updated_at = now() WHERE device_id = $1 AND enabled <> $2 RETURNING ${DEVICE_COLUMNS}`, [deviceId, enabled])
    if (rows[0] === undefined) return getDevice(tx, deviceId)
    await audit(tx, { actor, action: enabled ? 'device.enable' : 'device.disable', target: deviceId })
    return deviceOfRow(rows[0])
  })
}

/** Replaces a device's secret: the old one stops working. Null when there is no such device. */
export async function rotateSecret(db: Db, deviceId: string, actor: string): Promise<DeviceWithSecret | null> {
  const secret = newDeviceSecret()
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DeviceRow>(
      `UPDATE devices SET secret_digest = $2, secret_prefix = $3, last_rotated_at = now(), updated_at = now()
        WHERE device_id = $1 RETURNING ${DEVICE_COLUMNS}`, [deviceId, secretDigest(secret), secretPrefixOf(secret)])
    if (rows[0] === undefined) return null
    await audit(tx, { actor, action: 'device.rotate', target: deviceId })
    return { ...deviceOfRow(rows[0]), secret }
  })
}
