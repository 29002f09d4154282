/**
 * Scheduled jobs (processors/jobs/runner.ts): one row per job name, holding the schedule
 * instant last completed (so runs resume after downtime) and the lease that makes each
 * instant run once across replicas (SPEC §8). `lease_until` is compared with the database's
 * now(), never a process clock, so replicas whose clocks differ still agree on expiry.
 * `lease_token` only grows: it is the fencing token a run must still hold to record its result.
 */
export const jobsMigration = {
  version: 2,
  name: 'jobs',
  sql: `
CREATE TABLE jobs (
  name              text        PRIMARY KEY,
  schedule          text        NOT NULL,
  last_scheduled_at timestamptz,
  last_started_at   timestamptz,
  last_finished_at  timestamptz,
  last_status       text        CHECK (last_status IN ('ok', 'failed')),
  last_error        text,
  last_duration_ms  integer,
  runs_total        bigint      NOT NULL DEFAULT 0,
  failures_total    bigint      NOT NULL DEFAULT 0,
  lease_owner       text,
  lease_token       bigint      NOT NULL DEFAULT 0,
  lease_until       timestamptz
);
`
}
