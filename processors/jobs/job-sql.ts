/** Every statement the job runner issues against the `jobs` table (migration 0002). */
export const SQL = {
  ensure: `INSERT INTO jobs (name, schedule) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET schedule = EXCLUDED.schedule
    WHERE jobs.schedule IS DISTINCT FROM EXCLUDED.schedule`,
  last: 'SELECT last_scheduled_at FROM jobs WHERE name = $1',
  claim: `UPDATE jobs SET lease_owner = $2, lease_token = lease_token + 1,
      lease_until = now() + $3::integer * interval '1 millisecond', last_started_at = $5
    WHERE name = $1 AND (lease_until IS NULL OR lease_until < now())
      AND ($4::timestamptz IS NULL OR last_scheduled_at IS NULL OR last_scheduled_at < $4::timestamptz)
    RETURNING lease_token`,
  peek: `SELECT last_scheduled_at,
      (extract(epoch FROM lease_until - now()) * 1000)::float8 AS lease_left_ms
    FROM jobs WHERE name = $1`,
  renew: `UPDATE jobs SET lease_until = now() + $4::integer * interval '1 millisecond'
    WHERE name = $1 AND lease_owner = $2 AND lease_token = $3`,
  finish: `UPDATE jobs SET
      last_scheduled_at = CASE WHEN $4::boolean THEN greatest(last_scheduled_at, $5::timestamptz) ELSE last_scheduled_at END,
      last_finished_at = $6, last_status = $7::text, last_error = $8, last_duration_ms = $9,
      runs_total = runs_total + 1,
      failures_total = failures_total + CASE WHEN $7::text = 'failed' THEN 1 ELSE 0 END,
      lease_owner = NULL, lease_until = NULL
    WHERE name = $1 AND lease_owner = $2 AND lease_token = $3`,
  releaseAll: 'UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1',
  status: `SELECT name, schedule, last_scheduled_at AS "lastScheduledAt", last_started_at AS "lastStartedAt",
      last_finished_at AS "lastFinishedAt", last_status AS "lastStatus", last_error AS "lastError",
      last_duration_ms AS "lastDurationMs", runs_total AS "runsTotal", failures_total AS "failuresTotal",
      lease_owner AS "leaseOwner", lease_until AS "leaseUntil"
    FROM jobs WHERE name = ANY($1::text[])`
}
