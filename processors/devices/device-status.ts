import type { Queryable } from '../db/db.js'
import { MISSED_INTERVALS, type DeviceState, type Presence, type TransitionReason } from '../presence/presence.js'
import { DEVICE_COLUMNS, deviceOfRow, type DeviceRecord, type DeviceRow } from './device-record.js'
import { getDevice } from './device-sql.js'

/** `unknown`: registered but never seen (no heartbeat since presence was last rebuilt). */
export type DeviceStateName = 'online' | 'offline' | 'unknown'

/** A device as the query routes show it: its registry entry, its presence, or both (SPEC §4, §6). */
export interface DeviceStatus {
  deviceId: string
  /** The registry's store for a registered device, else the one its heartbeats name. */
  storeId: string | null
  tableId: string | null
  registered: boolean
  /** Null for a device that is not registered (anonymous clients, test mode). */
  enabled: boolean | null
  state: DeviceStateName
  reason: TransitionReason | null
  /** Epoch ms of the last transition. */
  since: number | null
  lastSeen: number | null
  /** The registry's interval (SPEC §3: it wins); for an unregistered device, the one presence applies while it is online. */
  intervalS: number | null
  /** When presence declares the device offline unless it heartbeats again; null unless online. */
  deadline: number | null
  record: DeviceRecord | null
}

export interface DeviceStatusFilter {
  storeId?: string
  state?: DeviceStateName
  /** Devices whose id sorts after this one (the previous page's cursor). */
  after?: string
  limit: number
}

export interface DeviceStatusPage {
  devices: DeviceStatus[]
  /** The last id of this page when more follow, else null. */
  nextCursor: string | null
}

export interface DeviceStatusDeps {
  db: Queryable
  presence: Pick<Presence, 'get' | 'list'>
}

/** Registry rows read per step of a listing. */
const CHUNK = 1000

export function deviceStatus(deviceId: string, record: DeviceRecord | null, seen: DeviceState | undefined): DeviceStatus {
  const online = seen?.online === true
  const presenceInterval = online ? Math.round((seen.deadline - seen.lastSeen) / MISSED_INTERVALS / 1000) : null
  return {
    deviceId, storeId: record?.storeId ?? seen?.storeId ?? null, tableId: record?.tableId ?? null,
    registered: record !== null, enabled: record?.enabled ?? null,
    state: seen === undefined ? 'unknown' : online ? 'online' : 'offline',
    reason: seen?.reason ?? null, since: seen?.since ?? null, lastSeen: seen?.lastSeen ?? null,
    intervalS: record?.heartbeatIntervalS ?? presenceInterval, deadline: online ? seen.deadline : null, record
  }
}

/** One device, or null when neither the registry nor presence knows it. */
export async function getDeviceStatus(deps: DeviceStatusDeps, deviceId: string): Promise<DeviceStatus | null> {
  const record = await getDevice(deps.db, deviceId)
  const seen = deps.presence.get(deviceId)
  return record === null && seen === undefined ? null : deviceStatus(deviceId, record, seen)
}

/**
 * Registered devices and the devices presence knows that are not registered, merged in id
 * order: byte order (`COLLATE "C"`), whatever the database's collation, because the merge and
 * the cursor compare ids in JavaScript too, and the two orders agree on registered ids (ASCII,
 * ID_PATTERN). The registry is read a chunk at a time; presence-only devices
 * that fall in a chunk's id range are checked against the registry in one statement, since a
 * registered device outside the store filter must not reappear as an unregistered one.
 */
export async function listDeviceStatus(deps: DeviceStatusDeps, f: DeviceStatusFilter): Promise<DeviceStatusPage> {
  const seen = new Map(deps.presence.list().map((s) => [s.deviceId, s]))
  // Presence-only candidates: after the cursor, in the store asked for by what their heartbeats say.
  const candidates = [...seen.values()]
    .filter((s) => (f.after === undefined || s.deviceId > f.after) && (f.storeId === undefined || s.storeId === f.storeId))
    .sort((a, b) => compareIds(a.deviceId, b.deviceId))
  const out: DeviceStatus[] = []
  let cursor = f.after
  let next = 0
  for (;;) {
    const records = await registryChunk(deps.db, f.storeId, cursor)
    const upper = records.length === CHUNK ? (records.at(-1) as DeviceRecord).deviceId : undefined
    const end = upper === undefined ? candidates.length : upperBound(candidates, upper, next)
    const inChunk = candidates.slice(next, end)
    next = end
    const registered = await registeredAmong(deps.db, inChunk.map((s) => s.deviceId))
    const listed = [
      ...records.map((r) => deviceStatus(r.deviceId, r, seen.get(r.deviceId))),
      ...inChunk.filter((s) => !registered.has(s.deviceId)).map((s) => deviceStatus(s.deviceId, null, s))
    ]
    out.push(...listed.filter((d) => f.state === undefined || d.state === f.state).sort((a, b) => compareIds(a.deviceId, b.deviceId)))
    if (out.length > f.limit || upper === undefined) break
    cursor = upper
  }
  const devices = out.slice(0, f.limit)
  return { devices, nextCursor: out.length > f.limit ? (devices.at(-1) as DeviceStatus).deviceId : null }
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The index of the first candidate after `id`, searching from `from`. */
function upperBound(sorted: readonly DeviceState[], id: string, from: number): number {
  let i = from
  while (i < sorted.length && (sorted[i] as DeviceState).deviceId <= id) i++
  return i
}

async function registryChunk(db: Queryable, storeId: string | undefined, after: string | undefined): Promise<DeviceRecord[]> {
  const { rows } = await db.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS} FROM devices
      WHERE ($1::text IS NULL OR store_id = $1) AND ($2::text IS NULL OR device_id COLLATE "C" > $2)
      ORDER BY device_id COLLATE "C" LIMIT $3`,
    [storeId ?? null, after ?? null, CHUNK])
  return rows.map(deviceOfRow)
}

async function registeredAmong(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const { rows } = await db.query<{ device_id: string }>('SELECT device_id FROM devices WHERE device_id = ANY($1::text[])', [ids])
  return new Set(rows.map((r) => r.device_id))
}
