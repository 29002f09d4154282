/**
 * The last presence of each device, saved at a graceful shutdown so the next start resumes it
 * exactly (SPEC §6: after a restart, devices that stay silent go offline on time). After a
 * crash there is no snapshot, and presence is rebuilt from the stored transitions and the last
 * heartbeat rows instead (processors/presence/rebuild.ts).
 */
export const presenceMigration = {
  version: 6,
  name: 'presence',
  sql: `
CREATE TABLE presence_state (
  device_id   text        PRIMARY KEY,
  store_id    text,
  online      boolean     NOT NULL,
  last_seen   timestamptz NOT NULL,
  interval_ms integer     NOT NULL,
  since       timestamptz NOT NULL,
  reason      text        NOT NULL,
  saved_at    timestamptz NOT NULL DEFAULT now()
);
`
}
