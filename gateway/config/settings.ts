import { host, integer, oneOf, text, timeZone, url, type Parser } from './parse.js'

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
}

function s<K extends string, T, D extends string | undefined>(key: K, env: string, dflt: D, parse: Parser<T>, doc: string): Setting<K, T, D> {
  return { key, env: `PULSEGATE_${env}`, default: dflt, parse, doc }
}

const KiB = 1024
const day = 24 * 3600 * 1000

export const settings = [
  s('httpPort', 'HTTP_PORT', '8080', integer(0, 65535), 'HTTP API, `/metrics` and `/health` port (0 picks a free port)'),
  s('httpHost', 'HTTP_HOST', '127.0.0.1', host, 'Address the HTTP API binds; loopback until write keys arrive, `0.0.0.0` to open it'),
  s('mqttPort', 'MQTT_PORT', '1883', integer(0, 65535), 'Embedded MQTT broker TCP port (loopback only until device authentication arrives)'),
  s('dataDir', 'DATA_DIR', './data', text, 'Embedded store and state directory (locked by one process at a time)'),
  s('databaseUrl', 'DATABASE_URL', undefined, url('postgres', 'postgresql'), 'PostgreSQL 15+ connection string; unset keeps the embedded PGlite store in the data directory'),
  s('databasePoolSize', 'DATABASE_POOL_SIZE', '4', integer(1, 100), 'PostgreSQL connections; also how many group commits run at once'),
  s('trackingPlan', 'TRACKING_PLAN', undefined, text, 'Tracking-plan YAML file; unset uses the shipped `tracking-plan/default.yaml`'),
  s('timeZone', 'TIMEZONE', 'Asia/Shanghai', timeZone, 'IANA zone of statistics days and job schedules'),
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
  s('shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS', '10000', integer(0, 600_000), 'How long shutdown waits for in-flight work before exiting anyway (status 1); what was not acknowledged is retried by clients')
] as const

type Settings = typeof settings
type SettingValue<S> = S extends Setting<infer _K, infer T, infer _D> ? T : never
export type Config = {
  readonly [S in Settings[number] as S['key']]: S['default'] extends string ? SettingValue<S> : SettingValue<S> | undefined
}
