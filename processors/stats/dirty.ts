/**
 * Days to recompute (SPEC §8: late events mark their days dirty). The event store marks, in the
 * transaction that stores them, the local days of new events that lie before today: today is
 * recomputed every hour anyway, an earlier day only when something marks it. The mark is the
 * day and when it was last set; a recomputation clears it only if it was set before the
 * recomputation began reading, so an event committed meanwhile is never lost from the figures.
 */
import type { Queryable } from '../db/db.js'
import type { CanonicalEvent } from '../pipeline/event.js'
import { localDay } from '../realtime/counters.js'

export async function markDirty(db: Queryable, days: readonly string[]): Promise<void> {
  await db.query(`INSERT INTO stats_dirty (day) SELECT DISTINCT d::date FROM json_array_elements_text($1::json) AS d
    ORDER BY 1 ON CONFLICT (day) DO UPDATE SET marked_at = now()`, [JSON.stringify(days)])
}

export async function dirtyDays(db: Queryable): Promise<string[]> {
  const res = await db.query<{ day: string }>('SELECT day::text AS day FROM stats_dirty ORDER BY day')
  return res.rows.map((r) => r.day)
}

/** The local days before today (in `timeZone`, by `now`) that these events fall on. */
export function staleDays(timeZone: string, now: () => number = Date.now): (events: readonly CanonicalEvent[]) => string[] {
  const dayOf = localDay(timeZone)
  const todayOf = localDay(timeZone)
  return (events) => {
    const today = todayOf(now())
    const days = new Set<string>()
    for (const e of events) {
      const d = dayOf(e.occurredAt)
      if (d < today) days.add(d)
    }
    return [...days]
  }
}
