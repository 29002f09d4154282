/**
 * The embedded broker's session state (SPEC §1, issue 4 item 3), so retained messages and
 * persistent sessions survive a restart. Read and written by `processors/mqtt-persistence/`.
 *
 * A packet is stored as `header` (its fields as JSON, a string payload included) plus
 * `payload` (a Buffer payload, as bytea; NULL when the payload is a string or absent).
 * `broker_id`, `broker_counter` and `message_id` are columns because aedes looks packets up
 * by them; `message_id` is authoritative (the header never holds it). `seq` keeps each
 * client's outgoing queue in enqueue order.
 */
export const mqttPersistenceMigration = {
  version: 5,
  name: 'mqtt_persistence',
  sql: `
CREATE TABLE mqtt_retained (
  topic      text        PRIMARY KEY,
  header     jsonb       NOT NULL,
  payload    bytea,
  stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mqtt_subscriptions (
  client_id  text        NOT NULL,
  topic      text        NOT NULL,
  qos        smallint    NOT NULL,
  options    jsonb       NOT NULL DEFAULT '{}',
  PRIMARY KEY (client_id, topic)
);

CREATE TABLE mqtt_outgoing (
  seq            bigserial   PRIMARY KEY,
  client_id      text        NOT NULL,
  broker_id      text,
  broker_counter bigint,
  message_id     integer,
  header         jsonb       NOT NULL,
  payload        bytea,
  queued_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mqtt_outgoing_client ON mqtt_outgoing (client_id, seq);

CREATE TABLE mqtt_incoming (
  client_id  text        NOT NULL,
  message_id integer     NOT NULL,
  header     jsonb       NOT NULL,
  payload    bytea,
  stored_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, message_id)
);

CREATE TABLE mqtt_wills (
  client_id  text        PRIMARY KEY,
  broker_id  text        NOT NULL,
  header     jsonb       NOT NULL,
  payload    bytea,
  stored_at  timestamptz NOT NULL DEFAULT now()
);
`
}
