/**
 * Device and store registries, and the per-minute heartbeat rollup (SPEC §3, §6, §7).
 *
 * `devices`: one row per device. The secret is a random 128-bit token shown once; only its
 * SHA-256 digest is kept (SPEC §3: one hash and a map lookup per CONNECT, when thousands of
 * devices reconnect at once), and its first characters (`secret_prefix`) tell secrets apart in
 * a listing. `store_id` is not a foreign key: devices are often imported before their store is
 * described, and a store without a row simply has no opening hours (always open).
 *
 * `stores`: opening hours are a JSON array of `{rrule, duration, tzid}` entries, checked by
 * processors/stores/opening-hours.ts before they are written.
 *
 * `heartbeat_minute`: per device and minute, filled by the rollup job, kept as long as events.
 * Unpartitioned on purpose, for now: rows are narrow (one per device-minute with traffic), the
 * rollup rewrites recent minutes with ON CONFLICT upserts, and retention is one DELETE by
 * `minute` a day through the index. The primary key already contains `minute`, so a later
 * migration can turn it into a RANGE(minute)-partitioned table (retention by DROP, like
 * `events`) without changing a key if the DELETE ever gets too slow.
 */
export const devicesMigration = {
  version: 4,
  name: 'devices',
  sql: `
CREATE TABLE devices (
  device_id            text        PRIMARY KEY,
  store_id             text        NOT NULL,
  table_id             text,
  secret_digest        text        NOT NULL,
  secret_prefix        text        NOT NULL,
  heartbeat_interval_s integer     NOT NULL DEFAULT 5 CHECK (heartbeat_interval_s BETWEEN 1 AND 3600),
  enabled              boolean     NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  last_rotated_at      timestamptz
);
CREATE INDEX devices_store ON devices (store_id, device_id);

CREATE TABLE stores (
  store_id      text        PRIMARY KEY,
  name          text        NOT NULL DEFAULT '',
  time_zone     text        NOT NULL,
  opening_hours jsonb       NOT NULL DEFAULT '[]',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE heartbeat_minute (
  device_id    text             NOT NULL,
  minute       timestamptz      NOT NULL,
  store_id     text,
  count        integer          NOT NULL,
  latency_min  integer,
  latency_avg  double precision,
  latency_max  integer,
  battery_last integer,
  signal_last  integer,
  PRIMARY KEY (device_id, minute)
);
CREATE INDEX heartbeat_minute_minute ON heartbeat_minute (minute);
`
}
