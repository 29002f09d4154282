/**
 * The event store. `events` is partitioned by day of `occurred_at` (UTC days; partitions are
 * created ahead and dropped after retention by jobs). Dedup is exact by construction: the key
 * (app_id, event_id) lives in its own unpartitioned table, so its uniqueness cannot depend on
 * anything that differs between two sends of one event — `sent_at`, skew correction,
 * `received_at` (SPEC §7). The write inserts the key first and the event only when the key is
 * new, in one statement. `events` has no index of its own on (app_id, event_id): `event_keys`
 * already is one, and a second would cost every insert an index entry for no lookup.
 */
export const eventsMigration = {
  version: 1,
  name: 'events',
  sql: `
CREATE TABLE event_keys (
  app_id      text        NOT NULL,
  event_id    text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (app_id, event_id)
);
CREATE INDEX event_keys_occurred_at ON event_keys (occurred_at);

CREATE TABLE events (
  app_id         text        NOT NULL,
  event_id       text        NOT NULL,
  event_name     text        NOT NULL,
  event_time     timestamptz NOT NULL,
  sent_at        timestamptz,
  received_at    timestamptz NOT NULL,
  occurred_at    timestamptz NOT NULL,
  skew_ms        bigint      NOT NULL DEFAULT 0,
  source         text        NOT NULL,
  schema_version text,
  store_id       text,
  device_id      text,
  user_id        text,
  session_id     text,
  platform       text,
  app_version    text,
  channel        text,
  device_type    text,
  correlation_id text,
  properties     jsonb       NOT NULL DEFAULT '{}',
  flags          text[]      NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (occurred_at);
CREATE INDEX events_name_time ON events (event_name, occurred_at);

CREATE TABLE heartbeats (
  device_id       text        NOT NULL,
  received_at     timestamptz NOT NULL,
  device_time     timestamptz,
  store_id        text,
  table_id        text,
  online          smallint    NOT NULL,
  latency_ms      integer,
  battery_level   integer,
  signal_strength integer,
  source          text        NOT NULL
) PARTITION BY RANGE (received_at);
CREATE INDEX heartbeats_device_time ON heartbeats (device_id, received_at);

CREATE TABLE quarantine (
  id          bigserial   PRIMARY KEY,
  app_id      text        NOT NULL,
  received_at timestamptz NOT NULL,
  source      text        NOT NULL,
  event_id    text,
  event_name  text,
  code        text        NOT NULL,
  path        text,
  message     text        NOT NULL,
  payload     jsonb       NOT NULL
);
CREATE INDEX quarantine_received_at ON quarantine (received_at);
`
}
