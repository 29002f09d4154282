import { describe, expect, it } from 'vitest'
import { settings } from '../../../gateway/config/settings.js'

describe('settings table', () => {
  it('lists every setting with its variable and default, in order', () => {
    expect(settings.map((s) => [s.key, s.env, s.default])).toEqual([
      ['httpPort', 'PULSEGATE_HTTP_PORT', '8080'],
      ['httpHost', 'PULSEGATE_HTTP_HOST', '0.0.0.0'],
      ['mqttPort', 'PULSEGATE_MQTT_PORT', '1883'],
      ['mqttHost', 'PULSEGATE_MQTT_HOST', '0.0.0.0'],
      ['mqttsPort', 'PULSEGATE_MQTTS_PORT', undefined],
      ['mqttTlsCert', 'PULSEGATE_MQTT_TLS_CERT', undefined],
      ['mqttTlsKey', 'PULSEGATE_MQTT_TLS_KEY', undefined],
      ['mqttWsPort', 'PULSEGATE_MQTT_WS_PORT', undefined],
      ['mqttAllowAnonymous', 'PULSEGATE_MQTT_ALLOW_ANONYMOUS', 'false'],
      ['mqttUrl', 'PULSEGATE_MQTT_URL', undefined],
      ['mqttSharedGroup', 'PULSEGATE_MQTT_SHARED_GROUP', 'pulsegate'],
      ['mqttClientId', 'PULSEGATE_MQTT_CLIENT_ID', undefined],
      ['dataDir', 'PULSEGATE_DATA_DIR', './data'],
      ['databaseUrl', 'PULSEGATE_DATABASE_URL', undefined],
      ['redisUrl', 'PULSEGATE_REDIS_URL', undefined],
      ['databasePoolSize', 'PULSEGATE_DATABASE_POOL_SIZE', '4'],
      ['trackingPlan', 'PULSEGATE_TRACKING_PLAN', undefined],
      ['timeZone', 'PULSEGATE_TIMEZONE', 'Asia/Shanghai'],
      ['statsCatalog', 'PULSEGATE_STATS_CATALOG', undefined],
      ['logLevel', 'PULSEGATE_LOG_LEVEL', 'info'],
      ['retentionDays', 'PULSEGATE_RETENTION_DAYS', '90'],
      ['heartbeatRetentionDays', 'PULSEGATE_HEARTBEAT_RETENTION_DAYS', '7'],
      ['heartbeatIntervalS', 'PULSEGATE_HEARTBEAT_INTERVAL_S', '5'],
      ['skewThresholdMs', 'PULSEGATE_SKEW_THRESHOLD_MS', '60000'],
      ['lateAfterMs', 'PULSEGATE_LATE_AFTER_MS', '86400000'],
      ['maxBatchEvents', 'PULSEGATE_MAX_BATCH_EVENTS', '500'],
      ['maxBatchBytes', 'PULSEGATE_MAX_BATCH_BYTES', '1048576'],
      ['maxEventBytes', 'PULSEGATE_MAX_EVENT_BYTES', '32768'],
      ['intakeMaxBatchRows', 'PULSEGATE_INTAKE_MAX_BATCH_ROWS', '5000'],
      ['intakeMaxQueuedRows', 'PULSEGATE_INTAKE_MAX_QUEUED_ROWS', '50000'],
      ['adminKey', 'PULSEGATE_ADMIN_KEY', undefined],
      ['privacyHmacKey', 'PULSEGATE_PRIVACY_HMAC_KEY', undefined],
      ['corsOrigins', 'PULSEGATE_CORS_ORIGINS', undefined],
      ['rateLimitPerKey', 'PULSEGATE_RATE_LIMIT_PER_KEY', '1000'],
      ['httpMaxInflightBytes', 'PULSEGATE_HTTP_MAX_INFLIGHT_BYTES', '67108864'],
      ['scanBurstCount', 'PULSEGATE_SCAN_BURST_COUNT', '10'],
      ['scanBurstWindowMs', 'PULSEGATE_SCAN_BURST_WINDOW_MS', '60000'],
      ['latencyAnomalyMs', 'PULSEGATE_LATENCY_ANOMALY_MS', '2000'],
      ['shutdownTimeoutMs', 'PULSEGATE_SHUTDOWN_TIMEOUT_MS', '10000']
    ])
  })

  it('uses the SPEC §12 defaults for the settings every user meets', () => {
    const byEnv = new Map(settings.map((s) => [s.env, s.default]))
    expect({
      http: byEnv.get('PULSEGATE_HTTP_PORT'), mqtt: byEnv.get('PULSEGATE_MQTT_PORT'), dataDir: byEnv.get('PULSEGATE_DATA_DIR'),
      db: byEnv.get('PULSEGATE_DATABASE_URL'), plan: byEnv.get('PULSEGATE_TRACKING_PLAN'), tz: byEnv.get('PULSEGATE_TIMEZONE'),
      log: byEnv.get('PULSEGATE_LOG_LEVEL'), mqtts: byEnv.get('PULSEGATE_MQTTS_PORT'), ws: byEnv.get('PULSEGATE_MQTT_WS_PORT'),
      mqttUrl: byEnv.get('PULSEGATE_MQTT_URL'), anonymous: byEnv.get('PULSEGATE_MQTT_ALLOW_ANONYMOUS')
    }).toEqual({
      http: '8080', mqtt: '1883', dataDir: './data', db: undefined, plan: undefined, tz: 'Asia/Shanghai', log: 'info',
      mqtts: undefined, ws: undefined, mqttUrl: undefined, anonymous: 'false'
    })
  })

  it('has unique keys and variables, all with the PULSEGATE_ prefix', () => {
    expect(new Set(settings.map((s) => s.key)).size).toBe(settings.length)
    expect(new Set(settings.map((s) => s.env)).size).toBe(settings.length)
    expect(settings.filter((s) => !/^PULSEGATE_[A-Z0-9_]+$/.test(s.env)).map((s) => s.env)).toEqual([])
  })

  it('documents every setting in one line', () => {
    expect(settings.filter((s) => s.doc.trim().length < 10 || s.doc.includes('\n')).map((s) => s.key)).toEqual([])
  })

  it('puts the unit in the name of every duration', () => {
    const durations = ['retentionDays', 'heartbeatRetentionDays', 'heartbeatIntervalS', 'skewThresholdMs', 'lateAfterMs', 'scanBurstWindowMs', 'latencyAnomalyMs', 'shutdownTimeoutMs']
    expect(durations.filter((k) => !/(Days|S|Ms)$/.test(k))).toEqual([])
    expect(durations.filter((k) => !settings.some((s) => s.key === k))).toEqual([])
  })

  it('accepts its own defaults', () => {
    const parsed = settings.filter((s) => s.default !== undefined).map((s) => [s.key, s.parse(s.default as string)])
    expect(Object.fromEntries(parsed)).toEqual({
      httpPort: 8080, httpHost: '0.0.0.0', mqttPort: 1883, mqttHost: '0.0.0.0', mqttAllowAnonymous: false, mqttSharedGroup: 'pulsegate', dataDir: './data', databasePoolSize: 4, timeZone: 'Asia/Shanghai',
      logLevel: 'info', retentionDays: 90, heartbeatRetentionDays: 7, heartbeatIntervalS: 5, skewThresholdMs: 60_000,
      lateAfterMs: 86_400_000, maxBatchEvents: 500, maxBatchBytes: 1_048_576, maxEventBytes: 32_768, intakeMaxBatchRows: 5000,
      intakeMaxQueuedRows: 50_000, rateLimitPerKey: 1000, httpMaxInflightBytes: 67_108_864, scanBurstCount: 10,
      scanBurstWindowMs: 60_000, latencyAnomalyMs: 2000, shutdownTimeoutMs: 10_000
    })
  })

  it('keeps the event limit within the batch limit by default', () => {
    const value = (key: string): number => Number(settings.find((s) => s.key === key)?.default)
    expect(value('maxEventBytes')).toBeLessThanOrEqual(value('maxBatchBytes'))
    expect(value('intakeMaxBatchRows')).toBeLessThanOrEqual(value('intakeMaxQueuedRows'))
  })
})
