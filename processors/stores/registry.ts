import { audit } from '../access/audit.js'
import type { Db } from '../db/db.js'
import { ID_PATTERN } from '../devices/device-record.js'
import { errors, PulseGateError } from '../errors.js'
import { validateOpeningHours, type OpeningHoursEntry } from './opening-hours.js'
import { isTimeZone } from './zone.js'

export interface StoreRecord {
  storeId: string
  name: string
  /** IANA zone the store is in (for people and reports; each opening-hours entry has its own tzid). */
  timeZone: string
  openingHours: OpeningHoursEntry[]
  createdAt: string
  updatedAt: string
}

export interface StoreInput {
  storeId: string
  name?: string
  timeZone: string
  /** Checked with validateOpeningHours; none means always open. */
  openingHours?: unknown
}

export interface StoreRegistry {
  /** Creates or replaces a store; PG_ERR_OPENING_HOURS_INVALID names each bad entry. */
  upsert(input: StoreInput, actor: string): Promise<{ store: StoreRecord; created: boolean }>
  /** Ordered by store id; page with `after`. */
  list(opts?: { after?: string; limit?: number }): Promise<StoreRecord[]>
  get(storeId: string): Promise<StoreRecord | null>
  /** False when there was no such store. Its devices stay registered. */
  delete(storeId: string, actor: string): Promise<boolean>
}

interface StoreRow { store_id: string; name: string; time_zone: string; opening_hours: OpeningHoursEntry[]; created_at: Date; updated_at: Date; created?: boolean }
const COLUMNS = 'store_id, name, time_zone, opening_hours, created_at, updated_at'

const storeOfRow = (r: StoreRow): StoreRecord => ({
  storeId: r.store_id, name: r.name, timeZone: r.time_zone, openingHours: r.opening_hours,
  createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString()
})

/** The store registry (SPEC §6, §7): opening hours are checked before they are written; every change is audited. */
export function createStoreRegistry(db: Db): StoreRegistry {
  return {
    async upsert(input, actor) {
      if (!ID_PATTERN.test(input.storeId)) {
        throw new PulseGateError(errors.STORE_INVALID, `store_id must be 1 to 128 letters, digits or _ . : -, not ${JSON.stringify(input.storeId)}`, { details: { path: '/store_id' } })
      }
      if (!isTimeZone(input.timeZone)) {
        throw new PulseGateError(errors.STORE_INVALID, `time_zone must be an IANA time zone such as Asia/Shanghai, not ${JSON.stringify(input.timeZone)}`, { details: { path: '/time_zone' } })
      }
      const hours = validateOpeningHours(input.openingHours ?? [])
      return db.transaction(async (tx) => {
        // xmax = 0 only on a row this statement inserted: how PostgreSQL tells an insert from an update.
        const { rows } = await tx.query<StoreRow>(
          `INSERT INTO stores (store_id, name, time_zone, opening_hours) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (store_id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
             opening_hours = EXCLUDED.opening_hours, updated_at = now()
           RETURNING ${COLUMNS}, (xmax = 0) AS created`,
          [input.storeId, input.name ?? '', input.timeZone, JSON.stringify(hours)])
        const row = rows[0] as StoreRow
        await audit(tx, {
          actor, action: row.created === true ? 'store.create' : 'store.update', target: input.storeId,
          details: { name: row.name, time_zone: row.time_zone, opening_hours: hours }
        })
        return { store: storeOfRow(row), created: row.created === true }
      })
    },
    async list(opts = {}) {
      const { rows } = await db.query<StoreRow>(
        `SELECT ${COLUMNS} FROM stores WHERE ($1::text IS NULL OR store_id > $1) ORDER BY store_id LIMIT $2`, [opts.after ?? null, opts.limit ?? 1000])
      return rows.map(storeOfRow)
    },
    async get(storeId) {
      const { rows } = await db.query<StoreRow>(`SELECT ${COLUMNS} FROM stores WHERE store_id = $1`, [storeId])
      return rows[0] === undefined ? null : storeOfRow(rows[0])
    },
    async delete(storeId, actor) {
      return db.transaction(async (tx) => {
        const { rowCount } = await tx.query('DELETE FROM stores WHERE store_id = $1', [storeId])
        if (rowCount > 0) await audit(tx, { actor, action: 'store.delete', target: storeId })
        return rowCount > 0
      })
    }
  }
}
