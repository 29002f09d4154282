/**
 * Table utilization's denominator (SPEC §8): per store, its tables × the minutes it was open in
 * the period. Tables are the distinct `table_id`s of the store's enabled registered devices (the
 * registry as it is when the period is computed: it keeps no history); open minutes come from
 * the store's opening hours (processors/stores), all of the period for a store without any.
 */
import type { Queryable } from '../db/db.js'
import { compileOpeningHours, type OpeningHoursEntry } from '../stores/opening-hours.js'
import type { Bounds, Figure } from './sql.js'

const MINUTE_MS = 60_000
const ROUND = 1e6

/** Minutes within [from, to) during which the hours say open. */
export function openMinutes(entries: readonly OpeningHoursEntry[], b: Bounds): number {
  const span = b.to.getTime() - b.from.getTime()
  if (entries.length === 0) return span / MINUTE_MS
  const hours = compileOpeningHours(entries)
  let open = 0
  let at = b.from
  let isOpen = hours.isOpen(at)
  while (at < b.to) {
    const change = hours.nextChange(at)
    const until = change === null || change.at > b.to ? b.to : change.at
    if (isOpen) open += until.getTime() - at.getTime()
    if (change === null || change.at >= b.to) break
    at = change.at
    isOpen = change.open
  }
  return open / MINUTE_MS
}

/** Tables × open minutes of every store with tables. */
export async function storeCapacity(db: Queryable, b: Bounds): Promise<Map<string, number>> {
  const res = await db.query<{ store_id: string; tables: number; opening_hours: OpeningHoursEntry[] | null }>(
    `SELECT d.store_id, count(DISTINCT d.table_id)::int AS tables, s.opening_hours
     FROM devices d LEFT JOIN stores s ON s.store_id = d.store_id
     WHERE d.enabled AND d.table_id IS NOT NULL GROUP BY d.store_id, s.opening_hours`)
  return new Map(res.rows.map((r) => [r.store_id, Number(r.tables) * openMinutes(r.opening_hours ?? [], b)]))
}

/**
 * The period's utilization per store and for `all` (the stores' minutes of use over their
 * summed capacity), from the numerator's figures by store; no value without capacity.
 */
export function utilizationFigures(used: readonly Figure[], capacity: ReadonlyMap<string, number>): Figure[] {
  const byStore = new Map(used.filter((f) => f.hour === null && f.dims.store !== undefined).map((f) => [f.dims.store as string, f.value]))
  const out: Figure[] = []
  let usedAll = 0
  let capacityAll = 0
  for (const [store, cap] of capacity) {
    const u = byStore.get(store) ?? 0
    usedAll += u
    capacityAll += cap
    out.push({ hour: null, dims: { store }, value: cap === 0 ? NaN : Math.round((u / cap) * ROUND) / ROUND })
  }
  out.push({ hour: null, dims: {}, value: capacityAll === 0 ? NaN : Math.round((usedAll / capacityAll) * ROUND) / ROUND })
  return out
}
