/**
 * Access and admin state (SPEC §4, §11). API keys are stored as SHA-256 digests only: the
 * secret is shown once, at creation. `prefix` (the secret's first characters) lets an admin
 * tell keys apart in a listing without the secret. Every admin action lands in `audit_log`.
 * Quarantine rows gain what a replay needs to rebuild the batch context (`sent_at`,
 * `schema_version`) and the replay's outcome. `gateway_secrets` keeps secrets the gateway
 * generates for itself (the privacy HMAC key) where every replica finds the same one.
 */
export const accessMigration = {
  version: 3,
  name: 'access',
  sql: `
CREATE TABLE api_keys (
  id         text        PRIMARY KEY,
  kind       text        NOT NULL CHECK (kind IN ('write', 'read', 'admin')),
  app_id     text,
  name       text        NOT NULL DEFAULT '',
  digest     text        NOT NULL UNIQUE,
  prefix     text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (kind <> 'write' OR app_id IS NOT NULL)
);

CREATE TABLE audit_log (
  id      bigserial   PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text        NOT NULL,
  action  text        NOT NULL,
  target  text,
  details jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE gateway_secrets (
  name       text        PRIMARY KEY,
  value      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE opt_outs (
  app_id     text        NOT NULL,
  user_id    text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, user_id)
);

ALTER TABLE quarantine ADD COLUMN sent_at timestamptz;
ALTER TABLE quarantine ADD COLUMN schema_version text;
ALTER TABLE quarantine ADD COLUMN replayed_at timestamptz;
ALTER TABLE quarantine ADD COLUMN replay_event_id text;
CREATE INDEX quarantine_app_code ON quarantine (app_id, code, id);
`
}
