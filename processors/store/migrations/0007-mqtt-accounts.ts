/**
 * MQTT service accounts (SPEC §3): tools that are not devices — a monitoring `mosquitto_sub`,
 * a command sender — connect as `svc:{name}` with a secret stored as a SHA-256 digest, and may
 * publish and subscribe only under their own topic filters.
 */
export const mqttAccountsMigration = {
  version: 7,
  name: 'mqtt_accounts',
  sql: `
CREATE TABLE mqtt_accounts (
  name          text        PRIMARY KEY,
  secret_digest text        NOT NULL,
  secret_prefix text        NOT NULL,
  publish       text[]      NOT NULL DEFAULT '{}',
  subscribe     text[]      NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
`
}
