import { boolean, host, integer, oneOf, origins, secret, text, timeZone, url, type Parser } from './parse.js'

/**
 * Every setting PulseGate reads, in one table: the README's configuration table is generated
 * from it (`npm run docs:config`) and a test checks the two agree. Environment variables win
 * over the config file.
 */
export interface Setting<K extends string = string, T = unknown, D extends string | undefined = string | undefined> {
  key: K
  env: string
  /** Default as the user would write it; undefined means unset. */
  default: D
  parse: Parser<T>
  doc: string
  /** Never echoed, not even in an error message. */
  sensitive?: boolean
}

function s<K extends string, T, D extends string | undefined>(key: K, env: string, dflt: D, parse: Parser<T>, doc: string, sensitive = false): Setting<K, T, D> {
  return { key, env: `PULSEGATE_${env}`, default: dflt, parse, doc, sensitive }
}

const KiB = 1024
const day = 24 * 3600 * 1000

export const settings = [
  s('httpPort', 'HTTP_PORT', '8080', integer(0, 65535), 'HTTP API, `/metrics` and `/health` port (0 picks a free port)'),
  s('httpHost', 'HTTP_HOST', '0.0.0.0', host, 'Address the HTTP API binds; every route needs a key except `/health*`, `/metrics` and `/openapi.*`'),
  s('mqttPort', 'MQTT_PORT', '1883', integer(0, 65535), 'Embedded MQTT broker TCP port'),
  s('mqttHost', 'MQTT_HOST', '0.0.0.0', host, 'Address the embedded broker\'s listeners bind (TCP, TLS and WebSocket); every client authenticates'),
  s('mqttsPort', 'MQTTS_PORT', undefined, integer(0, 65535), 'MQTT over TLS port (8883 by convention); unset: no TLS listener. Needs `MQTT_TLS_CERT` and `MQTT_TLS_KEY`'),
  s('mqttTlsCert', 'MQTT_TLS_CERT', undefined, text, 'PEM certificate chain file of the TLS and secure WebSocket listeners'),
  s('mqttTlsKey', 'MQTT_TLS_KEY', undefined, text, 'PEM private key file of the TLS and secure WebSocket listeners'),
  s('mqttWsPort', 'MQTT_WS_PORT', undefined, integer(0, 65535), 'MQTT over WebSocket port (path `/mqtt`; TLS when a certificate is set); unset: no WebSocket listener'),
  s('mqttAllowAnonymous', 'MQTT_ALLOW_ANONYMOUS', 'false', boolean, 'Admit MQTT clients without credentials, publishing as any device (testing only; logged loudly at start)'),
  s('mqttUrl', 'MQTT_URL', undefined, url('mqtt', 'mqtts', 'ws', 'wss'), 'External broker to subscribe to (`mqtt://user:pass@host:1883`, or `mqtts`, `ws`, `wss`) instead of running the embedded one: a persistent session at QoS 1, each message acknowledged once committed'),
  s('mqttSharedGroup', 'MQTT_SHARED_GROUP', 'pulsegate', text, 'MQTT 5 shared-subscription group replicas join on an external broker (`$share/{group}/devices/+/…`); `none`: plain subscriptions, every replica gets every message (mosquitto 2.0 keeps only plain ones across its restarts)'),
  s('mqttClientId', 'MQTT_CLIENT_ID', undefined, text, 'Client id of the persistent session on the external broker, one per replica, the same across restarts; unset: `pulsegate-{host name}`'),
  s('dataDir', 'DATA_DIR', './data', text, 'Embedded store and state directory (locked by one process at a time)'),
  s('databaseUrl', 'DATABASE_URL', undefined, url('postgres', 'postgresql'), 'PostgreSQL 15+ connection string; unset keeps the embedded PGlite store in the data directory'),
  s('redisUrl', 'REDIS_URL', undefined, url('redis', 'rediss'), 'Redis 7 connection string (`redis://host:6379/0`); holds the realtime statistics counters. Unset: in-process counters, rebuilt from the store at start'),
  s('databasePoolSize', 'DATABASE_POOL_SIZE', '4', integer(1, 100), 'PostgreSQL connections; also how many group commits run at once'),
  s('trackingPlan', 'TRACKING_PLAN', undefined, text, 'Tracking-plan YAML file, or a directory of plan versions (one YAML file each); unset uses the shipped `tracking-plan/default.yaml`'),
  s('timeZone', 'TIMEZONE', 'Asia/Shanghai', timeZone, 'IANA zone of statistics days and job schedules'),
  s('statsCatalog', 'STATS_CATALOG', undefined, text, 'Metric-catalog YAML file; unset uses the shipped `statistics/default.yaml`'),
  s('logLevel', 'LOG_LEVEL', 'info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'pino log level'),
  s('retentionDays', 'RETENTION_DAYS', '90', integer(1, 3650), 'Days of events kept; older daily partitions are dropped'),
  s('heartbeatRetentionDays', 'HEARTBEAT_RETENTION_DAYS', '7', integer(1, 3650), 'Days of raw heartbeat rows kept'),
  s('heartbeatIntervalS', 'HEARTBEAT_INTERVAL_S', '5', integer(1, 86400), 'Heartbeat interval of devices that do not send `interval_s`; offline after 3 missed'),
  s('skewThresholdMs', 'SKEW_THRESHOLD_MS', '60000', integer(0, day), 'Client clock error below which `occurred_at` is not corrected'),
  s('lateAfterMs', 'LATE_AFTER_MS', String(day), integer(1000, 365 * day), 'Events older than this when received are flagged `late`'),
  s('maxBatchEvents', 'MAX_BATCH_EVENTS', '500', integer(1, 100_000), 'Events per HTTP batch'),
  s('maxBatchBytes', 'MAX_BATCH_BYTES', String(1024 * KiB), integer(KiB, 64 * 1024 * KiB), 'Bytes per HTTP batch, after decompression'),
  s('maxEventBytes', 'MAX_EVENT_BYTES', String(32 * KiB), integer(256, 1024 * KiB), 'Bytes per event (its JSON)'),
  s('intakeMaxBatchRows', 'INTAKE_MAX_BATCH_ROWS', '5000', integer(1, 100_000), 'Rows one group commit writes at most'),
  s('intakeMaxQueuedRows', 'INTAKE_MAX_QUEUED_ROWS', '50000', integer(1, 10_000_000), 'Rows waiting for commit before HTTP answers 429 and MQTT withholds PUBACKs'),
  s('adminKey', 'ADMIN_KEY', undefined, secret, 'Admin key held in the environment (never stored); unset: one is generated at first start, printed once and stored hashed', true),
  s('privacyHmacKey', 'PRIVACY_HMAC_KEY', undefined, secret, 'Key of the `hash` privacy rule (HMAC-SHA256); unset: generated once and kept in the store, so hashes stay stable', true),
  s('corsOrigins', 'CORS_ORIGINS', undefined, origins, 'Origins browsers may send from (comma-separated, or `*`); unset: no CORS headers'),
  s('rateLimitPerKey', 'RATE_LIMIT_PER_KEY', '1000', integer(0, 1_000_000), 'Requests per second one key may make before 429 with Retry-After; 0 turns the limit off'),
  s('httpMaxInflightBytes', 'HTTP_MAX_INFLIGHT_BYTES', String(64 * 1024 * KiB), integer(KiB, 16 * 1024 * 1024 * KiB), 'Ingest body bytes being read or processed at once; beyond it 429 before the body is read (bounds memory)'),
  s('scanBurstCount', 'SCAN_BURST_COUNT', '10', integer(1, 100_000), '`qr_scan` events one device or table code may send within the burst window before they are flagged `suspect_batch`'),
  s('scanBurstWindowMs', 'SCAN_BURST_WINDOW_MS', '60000', integer(1000, day), 'Window of the `qr_scan` burst flag'),
  s('latencyAnomalyMs', 'LATENCY_ANOMALY_MS', '2000', integer(1, 3_600_000), 'Heartbeat `latency_ms` above which a heartbeat is flagged `latency_anomaly`'),
  s('shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS', '10000', integer(0, 600_000), 'How long shutdown waits for in-flight work before exiting anyway (status 1); what was not acknowledged is retried by clients')
] as const

type Settings = typeof settings
type SettingValue<S> = S extends Setting<infer _K, infer T, infer _D> ? T : never
export type Config = {
  readonly [S in Settings[number] as S['key']]: S['default'] extends string ? SettingValue<S> : SettingValue<S> | undefined
}
