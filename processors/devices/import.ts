import type { Db, Queryable } from '../db/db.js'
import { errors, PulseGateError } from '../errors.js'
import { readDeviceCsv, type ImportRow } from './device-csv.js'
import {
  DEFAULT_HEARTBEAT_INTERVAL_S, DEVICE_COLUMNS, deviceOfRow, newDeviceSecret, secretDigest, secretPrefixOf,
  type DeviceRecord, type DeviceRow, type DeviceWithSecret
} from './device-record.js'

export interface ImportResult {
  /** New devices with their secrets, in file order: the only time these secrets are shown. */
  created: DeviceWithSecret[]
  /** Existing devices whose store, table or interval changed; their secrets did not. */
  updated: DeviceRecord[]
  /** Ids of existing devices the file describes as they already are. */
  unchanged: string[]
}

interface Values { store_id: string; table_id: string | null; heartbeat_interval_s: number }

/**
 * Imports a device CSV: every row is checked first (PG_ERR_CSV_INVALID lists all bad lines),
 * then all of it is written in one transaction, or none of it. Each created or changed device
 * gets its own audit record, in the same transaction.
 */
export async function importDeviceCsv(db: Db, csv: string, actor: string): Promise<ImportResult> {
  const rows = readDeviceCsv(csv)
  return db.transaction(async (tx) => {
    const { rows: found } = await tx.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE device_id = ANY($1::text[]) FOR UPDATE`, [rows.map((r) => r.deviceId)])
    const existing = new Map(found.map((r) => [r.device_id, r]))
    const fresh = rows.filter((r) => !existing.has(r.deviceId))
    const changes = rows.flatMap((r) => {
      const before = existing.get(r.deviceId)
      return before === undefined ? [] : [{ row: r, before, after: valuesOf(r, before) }]
    })
    const changed = changes.filter((c) => differs(c.before, c.after))
    const created = await insertAll(tx, fresh)
    const updated = await updateAll(tx, changed.map((c) => ({ id: c.row.deviceId, values: c.after })))
    await auditAll(tx, actor, [
      ...fresh.map((r) => ({ action: 'device.create', target: r.deviceId, details: { via: 'import', ...valuesOf(r, undefined) } })),
      ...changed.map((c) => ({ action: 'device.update', target: c.row.deviceId, details: { via: 'import', before: pick(c.before), after: c.after } }))
    ])
    return { created, updated, unchanged: changes.filter((c) => !differs(c.before, c.after)).map((c) => c.row.deviceId) }
  })
}

/** A column the file leaves out keeps the device's value; a new device gets the default. */
function valuesOf(r: ImportRow, before: DeviceRow | undefined): Values {
  return {
    store_id: r.storeId,
    table_id: r.tableId === undefined ? before?.table_id ?? null : r.tableId,
    heartbeat_interval_s: r.heartbeatIntervalS ?? before?.heartbeat_interval_s ?? DEFAULT_HEARTBEAT_INTERVAL_S
  }
}

const pick = (r: DeviceRow): Values => ({ store_id: r.store_id, table_id: r.table_id, heartbeat_interval_s: r.heartbeat_interval_s })
const differs = (a: DeviceRow, b: Values): boolean =>
  a.store_id !== b.store_id || a.table_id !== b.table_id || a.heartbeat_interval_s !== b.heartbeat_interval_s

async function insertAll(tx: Queryable, fresh: ImportRow[]): Promise<DeviceWithSecret[]> {
  if (fresh.length === 0) return []
  const secrets = fresh.map(() => newDeviceSecret())
  const values = fresh.map((r) => valuesOf(r, undefined))
  const { rows } = await tx.query<DeviceRow>(
    `INSERT INTO devices (device_id, store_id, table_id, heartbeat_interval_s, secret_digest, secret_prefix)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[])
     ON CONFLICT (device_id) DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
    [fresh.map((r) => r.deviceId), values.map((v) => v.store_id), values.map((v) => v.table_id), values.map((v) => v.heartbeat_interval_s),
      secrets.map(secretDigest), secrets.map(secretPrefixOf)])
  if (rows.length < fresh.length) {
    // Added by another request since the SELECT above: nothing of this import is kept.
    const taken = fresh.filter((r) => !rows.some((row) => row.device_id === r.deviceId)).map((r) => r.deviceId)
    throw new PulseGateError(errors.DEVICE_EXISTS, `${taken.join(', ')} added while importing; nothing was imported, run the import again`)
  }
  const byId = new Map(rows.map((r) => [r.device_id, r]))
  return fresh.map((r, i) => ({ ...deviceOfRow(byId.get(r.deviceId) as DeviceRow), secret: secrets[i] as string }))
}

async function updateAll(tx: Queryable, changed: Array<{ id: string; values: Values }>): Promise<DeviceRecord[]> {
  if (changed.length === 0) return []
  const { rows } = await tx.query<DeviceRow>(
    `UPDATE devices d SET store_id = u.store_id, table_id = u.table_id, heartbeat_interval_s = u.interval_s, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS u(device_id, store_id, table_id, interval_s)
      WHERE d.device_id = u.device_id RETURNING ${DEVICE_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}`,
    [changed.map((c) => c.id), changed.map((c) => c.values.store_id), changed.map((c) => c.values.table_id), changed.map((c) => c.values.heartbeat_interval_s)])
  const byId = new Map(rows.map((r) => [r.device_id, r]))
  return changed.map((c) => deviceOfRow(byId.get(c.id) as DeviceRow))
}

/** One audit record per device, in one statement (an import may hold thousands). */
async function auditAll(tx: Queryable, actor: string, entries: Array<{ action: string; target: string; details: object }>): Promise<void> {
  if (entries.length === 0) return
  await tx.query(
    `INSERT INTO audit_log (actor, action, target, details)
     SELECT $1, u.action, u.target, u.details::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(action, target, details, n) ORDER BY u.n`,
    [actor, entries.map((e) => e.action), entries.map((e) => e.target), entries.map((e) => JSON.stringify(e.details))])
}
