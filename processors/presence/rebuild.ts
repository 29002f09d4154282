import type { Db } from '../db/db.js'
import { DEVICES_APP } from './transition-events.js'
import { MISSED_INTERVALS, type DeviceState, type TransitionReason } from './presence.js'

/**
 * Presence as it was when the gateway stopped (SPEC §6). After a graceful stop the snapshot in
 * `presence_state` is exact. After a crash it is rebuilt: each device's last stored transition
 * says whether it was online, and its last heartbeat row when it was last seen. QoS 0 rows are
 * coalesced to one a minute, so that time may be early; a device online at the crash therefore
 * gets at least 3 intervals from the restart to heartbeat again before it is declared offline,
 * rather than a false offline (and a page) for every device that was fine.
 */
export async function loadPresence(db: Db, opts: { defaultIntervalMs: number; startedAt: number }): Promise<DeviceState[]> {
  const snapshot = await db.query<Row>('SELECT device_id, store_id, online, last_seen, interval_ms, since, reason FROM presence_state')
  if (snapshot.rows.length > 0) return snapshot.rows.map((r) => stateOf(r, Number(r.interval_ms), 0))
  const { rows } = await db.query<Row>(REBUILD, [DEVICES_APP, new Date(opts.startedAt - 8 * 86_400_000).toISOString()])
  return rows.map((r) => stateOf({ ...r, interval_ms: opts.defaultIntervalMs }, opts.defaultIntervalMs, r.online ? opts.startedAt : 0))
}

/** Saved when the gateway stops gracefully; cleared when it starts, so a crash never resumes a stale one. */
export async function savePresence(db: Db, states: readonly DeviceState[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM presence_state')
    if (states.length === 0) return
    await tx.query(`INSERT INTO presence_state (device_id, store_id, online, last_seen, interval_ms, since, reason)
      SELECT device_id, store_id, online, last_seen, interval_ms, since, reason
      FROM json_to_recordset($1::json) AS x(device_id text, store_id text, online boolean, last_seen timestamptz, interval_ms integer, since timestamptz, reason text)`,
    [JSON.stringify(states.map((s) => ({
      device_id: s.deviceId, store_id: s.storeId, online: s.online, last_seen: new Date(s.lastSeen).toISOString(),
      interval_ms: Math.round((s.deadline - s.lastSeen) / MISSED_INTERVALS), since: new Date(s.since).toISOString(), reason: s.reason
    })))])
  })
}

export async function clearSavedPresence(db: Db): Promise<void> {
  await db.query('DELETE FROM presence_state')
}

interface Row { device_id: string; store_id: string | null; online: boolean; last_seen: Date; interval_ms: number | string; since: Date; reason: string }

function stateOf(r: Row, intervalMs: number, graceFrom: number): DeviceState {
  const lastSeen = new Date(r.last_seen).getTime()
  return {
    deviceId: r.device_id, storeId: r.store_id, online: r.online, lastSeen,
    deadline: Math.max(lastSeen, graceFrom) + MISSED_INTERVALS * intervalMs,
    since: new Date(r.since).getTime(), reason: r.reason as TransitionReason
  }
}

/** Each device's last transition, and its last heartbeat row when that is later. */
const REBUILD = `
WITH last_transition AS (
  SELECT DISTINCT ON (device_id) device_id, store_id, event_name = 'device_online' AS online, occurred_at AS since,
    properties->>'reason' AS reason
  FROM events
  WHERE app_id = $1 AND event_name IN ('device_online', 'device_offline') AND occurred_at >= $2::timestamptz
  ORDER BY device_id, occurred_at DESC),
last_beat AS (
  SELECT device_id, max(received_at) AS last_seen FROM heartbeats WHERE received_at >= $2::timestamptz GROUP BY device_id)
SELECT t.device_id, t.store_id, t.online, GREATEST(t.since, COALESCE(b.last_seen, t.since)) AS last_seen, t.since, t.reason
FROM last_transition t LEFT JOIN last_beat b USING (device_id)`
