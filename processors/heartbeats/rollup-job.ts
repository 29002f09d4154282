/**
 * The per-device, per-minute heartbeat rollup (SPEC §6): `heartbeats` keeps raw rows 7 days,
 * `heartbeat_minute` (migration 4) keeps count, min/avg/max latency and the last battery and
 * signal per device and UTC minute as long as events.
 *
 * A minute is always recomputed whole from its raw rows and upserted, so a rollup can run any
 * number of times over any range and leaves the same rows: late rows are picked up by running
 * over their minute again, and an unchanged minute is not rewritten (the upsert's WHERE), so
 * re-rolling recent minutes every run costs reads, not dead rows. Minutes whose raw rows are
 * gone (past heartbeat retention) have no input and keep their rollup.
 *
 * `count` counts stored raw rows: QoS 0 heartbeats that changed nothing are coalesced before
 * the store (processors/ingest/coalesce.ts) and counted only in `events_dropped_total`.
 */
import type { Queryable } from '../db/db.js'
import type { JobDefinition } from '../jobs/runner.js'

const MINUTE_MS = 60_000

/** Every run re-rolls this many minutes before its own, for rows committed after their minute's run. */
export const REROLL_MINUTES = 5

export interface RollupResult {
  /** First minute recomputed (inclusive). */
  from: Date
  /** End of the last minute recomputed (exclusive). */
  to: Date
  /** Device-minutes inserted or changed; unchanged ones are not counted. */
  written: number
}

// Grouped on the UTC minute whatever the session's TimeZone. `*_last` take the newest raw row of
// the minute that has the value; ties on received_at are broken by the value itself, so the
// result never depends on scan order. store_id falls back to the registry's for devices that do
// not send one. Rows go in sorted by key, so two overlapping rollups (a backfill beside the job)
// take the key locks in one order and queue instead of deadlocking.
const ROLLUP = `
INSERT INTO heartbeat_minute AS m
  (device_id, minute, store_id, count, latency_min, latency_avg, latency_max, battery_last, signal_last)
SELECT r.device_id, r.minute, coalesce(r.store_id, d.store_id), r.count, r.latency_min, r.latency_avg,
  r.latency_max, r.battery_last, r.signal_last
FROM (
  SELECT device_id, date_trunc('minute', received_at, 'UTC') AS minute,
    (array_agg(store_id ORDER BY received_at DESC, store_id DESC) FILTER (WHERE store_id IS NOT NULL))[1] AS store_id,
    count(*)::integer AS count,
    min(latency_ms) AS latency_min, avg(latency_ms)::double precision AS latency_avg, max(latency_ms) AS latency_max,
    (array_agg(battery_level ORDER BY received_at DESC, battery_level DESC) FILTER (WHERE battery_level IS NOT NULL))[1] AS battery_last,
    (array_agg(signal_strength ORDER BY received_at DESC, signal_strength DESC) FILTER (WHERE signal_strength IS NOT NULL))[1] AS signal_last
  FROM heartbeats
  WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
  GROUP BY 1, 2
) r LEFT JOIN devices d ON d.device_id = r.device_id
ORDER BY r.device_id, r.minute
ON CONFLICT (device_id, minute) DO UPDATE SET
  store_id = EXCLUDED.store_id, count = EXCLUDED.count, latency_min = EXCLUDED.latency_min,
  latency_avg = EXCLUDED.latency_avg, latency_max = EXCLUDED.latency_max,
  battery_last = EXCLUDED.battery_last, signal_last = EXCLUDED.signal_last
WHERE (m.store_id, m.count, m.latency_min, m.latency_avg, m.latency_max, m.battery_last, m.signal_last)
  IS DISTINCT FROM (EXCLUDED.store_id, EXCLUDED.count, EXCLUDED.latency_min, EXCLUDED.latency_avg,
    EXCLUDED.latency_max, EXCLUDED.battery_last, EXCLUDED.signal_last)`

/**
 * Recomputes every UTC minute that [fromMs, toMs) touches, whole: the range is widened to minute
 * boundaries, because recomputing a minute from part of its rows would undercount it.
 */
export async function rollupHeartbeats(db: Queryable, fromMs: number, toMs: number): Promise<RollupResult> {
  const from = new Date(Math.floor(fromMs / MINUTE_MS) * MINUTE_MS)
  const to = new Date(Math.ceil(toMs / MINUTE_MS) * MINUTE_MS)
  const res = await db.query(ROLLUP, [from.toISOString(), to.toISOString()])
  return { from, to, written: res.rowCount }
}

/**
 * Every minute, 10 s past it: the run for instant T recomputes the REROLL_MINUTES minutes before
 * T's and T's own minute so far. Rows are stamped with `received_at`, so a row arrives late only
 * by its commit delay; a minute is final after its last re-roll, 5 min later.
 *
 * Each run covers a fixed 6 minutes, whatever happened before, so it stays small: on PGlite it
 * never holds the one connection long enough to stall acknowledgements. After downtime,
 * catchUp 'all' replays every missed minute in order (up to the runner's maxCatchUp, 1000 by
 * default, about 16 h; older ones are skipped with a warning), and a failed minute is retried
 * with backoff before later ones run, so the rolled-up minutes stay contiguous.
 */
export function heartbeatRollupJob(db: Queryable): JobDefinition {
  return {
    name: 'heartbeats.rollup', schedule: 'FREQ=MINUTELY;BYSECOND=10', catchUp: 'all', timeoutMs: 50_000,
    run: async ({ scheduledAt, log }) => {
      const at = scheduledAt.getTime()
      const { from, to, written } = await rollupHeartbeats(db, at - REROLL_MINUTES * MINUTE_MS, at)
      log.debug({ from: from.toISOString(), to: to.toISOString(), written }, 'heartbeat minutes rolled up')
    }
  }
}
