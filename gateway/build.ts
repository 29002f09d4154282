import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Aedes } from 'aedes'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Db } from '../processors/db/db.js'
import { openDb } from '../processors/db/open.js'
import { heartbeatRollupJob } from '../processors/heartbeats/rollup-job.js'
import { createDeviceIngest } from '../processors/ingest/device-ingest.js'
import { createGroupCommitIntake } from '../processors/intake/group-commit.js'
import type { Intake } from '../processors/intake/intake.js'
import { createJobRunner, type JobRunner } from '../processors/jobs/runner.js'
import { createPartitions, maintenanceJobs } from '../processors/maintenance/partitions-job.js'
import { createMetrics, emptyTally, recordTally, refusedTally, type Metrics } from '../processors/metrics/metrics.js'
import { loadPlans, type PlanSet } from '../processors/plan/registry.js'
import { DbPersistence } from '../processors/mqtt-persistence/db-persistence.js'
import { createMemoryPresence, systemClock } from '../processors/presence/memory.js'
import { createOpeningHoursCache } from '../processors/stores/hours-cache.js'
import type { Presence, Transition } from '../processors/presence/presence.js'
import { clearSavedPresence, loadPresence, savePresence } from '../processors/presence/rebuild.js'
import { transitionEvent } from '../processors/presence/transition-events.js'
import type { RealtimeCounters } from '../processors/realtime/counters.js'
import { createMemoryCounters } from '../processors/realtime/memory-counters.js'
import { createRedisCounters } from '../processors/realtime/redis-counters.js'
import { statsObserver } from '../processors/stats/observe.js'
import { addDays, localDate, localMidnight } from '../processors/stats/periods.js'
import { rebuildRealtime } from '../processors/stats/rebuild.js'
import { migrate } from '../processors/store/migrate.js'
import { loadCatalog, type Catalog } from '../processors/stats/catalog.js'
import { staleDays } from '../processors/stats/dirty.js'
import { statsJobs } from '../processors/stats/jobs.js'
import { createEventStore } from '../processors/store/event-store.js'
import { createKeyRing, type KeyRing } from '../processors/access/key-ring.js'
import { createOptOuts, type OptOuts } from '../processors/access/opt-outs.js'
import { createDeviceDirectory } from '../processors/devices/directory.js'
import { createDeviceRegistry } from '../processors/devices/registry.js'
import { createMqttAccounts } from '../processors/access/mqtt-accounts.js'
import { createStoreRegistry } from '../processors/stores/registry.js'
import { storedSecret } from '../processors/access/secrets.js'
import { createFlagStep } from '../processors/flags/flag-step.js'
import { optOutStep } from '../processors/pipeline/opt-out.js'
import { gatewaySteps, type Step } from '../processors/pipeline/pipeline.js'
import { maskRawPayload } from '../processors/privacy/mask-payload.js'
import { hmacId } from '../processors/privacy/mask.js'
import { privacy } from '../processors/privacy/privacy-step.js'
import type { Config } from './config/settings.js'
import { buildHttp } from './http/server.js'
import { lockDataDir, type DirLock } from './lock.js'
import { createLogger } from './log.js'
import { buildBroker } from './mqtt/broker.js'
import { createServices, type GatewayServices } from './services.js'

export interface GatewayDeps {
  /** A database to use instead of opening one from the config (tests). */
  db?: Db
  log?: Logger
}

export interface Gateway {
  services: GatewayServices
  http: FastifyInstance
  /** The embedded broker; null when an external one is consumed (`PULSEGATE_MQTT_URL`). */
  broker: Aedes | null
  jobs: JobRunner
  /** The admin key generated at first start, to print once; null otherwise. */
  generatedAdminKey: string | null
  /** Stops timers and closes the store: the caller has already stopped the listeners. */
  close(): Promise<void>
}

const DAY_MS = 86_400_000

/**
 * Wires every part of the gateway and binds nothing (fastify's `build(opts)` pattern): the
 * entry point, `listen.ts`, binds ports and handles signals; tests use `inject()` or bind port 0.
 */
export async function buildGateway(config: Config, deps: GatewayDeps = {}): Promise<Gateway> {
  const log = deps.log ?? createLogger(config.logLevel)
  const lock = deps.db === undefined && config.databaseUrl === undefined ? lockDataDir(config.dataDir) : undefined
  try {
    return await assemble(config, log, lock, deps.db)
  } catch (err) {
    lock?.release()
    throw err
  }
}

async function assemble(config: Config, log: Logger, lock: DirLock | undefined, givenDb: Db | undefined): Promise<Gateway> {
  // The plan first: a typo in it should stop the start before any store is opened.
  const plans = loadPlans(config.trackingPlan)
  const catalog = loadCatalog(config.statsCatalog)
  const db = givenDb ?? await openDb({ databaseUrl: config.databaseUrl, dataDir: join(config.dataDir, 'pglite'), poolSize: config.databasePoolSize })
  try {
    return await wire(config, log, lock, db, plans, catalog)
  } catch (err) {
    if (givenDb === undefined) await db.close().catch(() => {})
    throw err
  }
}

async function wire(config: Config, log: Logger, lock: DirLock | undefined, db: Db, plans: PlanSet, catalog: Catalog): Promise<Gateway> {
  await migrate(db, log)
  const retention = { retentionDays: config.retentionDays, heartbeatRetentionDays: config.heartbeatRetentionDays }
  await createPartitions(db, retention)
  const metrics = createMetrics()
  const intake = createGroupCommitIntake(createEventStore(db, { staleDays: staleDays(config.timeZone) }), {
    maxBatchRows: config.intakeMaxBatchRows, maxQueuedRows: config.intakeMaxQueuedRows, concurrency: db.maxConcurrency,
    onCommit: ({ rows, ms }) => { metrics.commitSeconds.observe(ms / 1000); metrics.commitRows.observe(rows) }
  })
  const storeRegistry = createStoreRegistry(db)
  const openingHours = await createOpeningHoursCache(storeRegistry, { onError: (err) => log.warn({ err: err.message }, 'opening hours refresh failed') })
  const presence = createMemoryPresence(systemClock, { storeOpen: openingHours.isOpen })
  presence.onTransition(recordTransitions(intake, metrics, log))
  // Resume presence from before this start; devices silent since go offline at their deadline.
  presence.restore(await loadPresence(db, { defaultIntervalMs: config.heartbeatIntervalS * 1000, startedAt: Date.now() }))
  await clearSavedPresence(db)
  const privacyKey = Buffer.from(config.privacyHmacKey ?? await storedSecret(db, 'privacy_hmac_key'))
  const access = await openAccess(db, config, log, privacyKey)
  const deviceDirectory = await createDeviceDirectory(db, { onError: (err) => log.warn({ err: err.message }, 'device directory refresh failed') })
  // The change is committed either way: a failed reload is logged and the timer catches up.
  const deviceRegistry = createDeviceRegistry({ db, onChange: () => deviceDirectory.refresh().catch((err: Error) => log.warn({ err: err.message }, 'device directory refresh failed')) })
  const counters = createCounters(config, catalog, log)
  const startedAt = Date.now()
  if (config.redisUrl === undefined) rebuildCounters(db, catalog, counters, config.timeZone, startedAt, log)
  const stats = { db, catalog, timeZone: config.timeZone, observe: statsObserver(metrics, log, config.timeZone), realtimeDay: (day: string) => counters.day(day) }
  const services = createServices({
    config, log, db, intake, metrics, presence, ...access, stats,
    plans, privacyKey,
    deviceRegistry, deviceDirectory, mqttAccounts: createMqttAccounts(db), storeRegistry, openingHours,
    steps: gatewaySteps({ optOut: optOutStep(access.optOuts), privacy, flag: flagStep(config, metrics) }),
    maskForQuarantine: (raw) => maskRawPayload(raw, plans.latest, privacyKey),
    limits: { maxEventBytes: config.maxEventBytes, skewThresholdMs: config.skewThresholdMs, lateAfterMs: config.lateAfterMs, retentionMs: config.retentionDays * DAY_MS },
    counters,
    devices: createDeviceIngest({
      intake, presence, metrics, log, defaultIntervalMs: config.heartbeatIntervalS * 1000, latencyAnomalyMs: config.latencyAnomalyMs,
      registered: (deviceId) => deviceDirectory.get(deviceId)
    })
  })
  const jobs = createJobs(db, log, config, metrics)
  for (const job of maintenanceJobs(db, retention)) jobs.register(job)
  jobs.register(heartbeatRollupJob(db))
  for (const job of statsJobs(stats)) jobs.register(job)
  const http = await buildHttp(services)
  const mqttPersistence = config.mqttUrl === undefined ? new DbPersistence({ db }) : null
  const broker = mqttPersistence === null ? null : await buildBroker(services, mqttPersistence)
  return {
    services, http, broker, jobs, generatedAdminKey: access.generatedAdminKey,
    close: () => { openingHours.close(); deviceDirectory.close(); return closeAll({ jobs, intake, presence, counters, optOuts: access.optOuts, mqttPersistence, db, lock }) }
  }
}

async function openAccess(db: Db, config: Config, log: Logger, privacyKey: Buffer): Promise<{ keys: KeyRing; optOuts: OptOuts; generatedAdminKey: string | null }> {
  const keys = createKeyRing({ db, configuredAdminKey: config.adminKey })
  const generatedAdminKey = await keys.bootstrapAdmin()
  const optOuts = await createOptOuts(db, {
    onError: (err) => log.warn({ err: err.message }, 'opt-out list refresh failed'),
    hash: (userId) => hmacId(privacyKey, userId)
  })
  return { keys, optOuts, generatedAdminKey }
}

/** The catalog's realtime metrics, counted in Redis when PULSEGATE_REDIS_URL is set, else in memory. */
function createCounters(config: Config, catalog: Catalog, log: Logger): RealtimeCounters {
  const options = {
    timeZone: config.timeZone, metrics: catalog.realtime,
    onError: (err: Error) => log.warn({ err: err.message, cause: err.cause instanceof Error ? err.cause.message : undefined }, 'realtime counters failed')
  }
  return config.redisUrl === undefined ? createMemoryCounters(options) : createRedisCounters({ ...options, url: config.redisUrl })
}

/**
 * The embedded counters start empty: they are refilled from the store, from yesterday's local
 * midnight (the daily check reads yesterday), in the background, while live events count.
 */
function rebuildCounters(db: Db, catalog: Catalog, counters: RealtimeCounters, timeZone: string, startedAt: number, log: Logger): void {
  const from = localMidnight(addDays(localDate(startedAt, timeZone), -1), timeZone)
  rebuildRealtime(db, catalog.realtime, from, startedAt, (events) => counters.record(events))
    .then((n) => { if (n > 0) log.info({ events: n }, 'realtime counters rebuilt from the store') })
    .catch((err: Error) => log.warn({ err: err.message }, 'realtime counters not rebuilt from the store; today\'s counts start from now'))
}

function flagStep(config: Config, metrics: Metrics): Step {
  return createFlagStep({
    scanBurst: { windowMs: config.scanBurstWindowMs, maxScans: config.scanBurstCount, maxKeys: 100_000 },
    latencyAnomalyMs: config.latencyAnomalyMs,
    onFlag: (flag) => metrics.anomalies.inc({ type: flag })
  })
}

function createJobs(db: Db, log: Logger, config: Config, metrics: Metrics): JobRunner {
  return createJobRunner({
    db, log: log.child({ component: 'jobs' }), timeZone: config.timeZone, owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    onRunFinished: ({ name, status, durationMs }) => {
      metrics.jobRuns.inc({ job: name, status })
      metrics.jobSeconds.observe({ job: name }, durationMs / 1000)
      if (status === 'ok') metrics.jobLastSuccess.set({ job: name }, Date.now() / 1000)
    }
  })
}

/** Presence transitions become stored events (SPEC §6) and counted transitions. */
function recordTransitions(intake: Intake, metrics: Metrics, log: Logger): (t: Transition) => void {
  return (t) => {
    metrics.presenceTransitions.inc({ state: t.online ? 'online' : 'offline', reason: t.reason })
    log.info({ deviceId: t.deviceId, online: t.online, reason: t.reason }, t.online ? 'device online' : 'device offline')
    intake.submit({ events: [transitionEvent(t, Date.now())], heartbeats: [], quarantine: [] }, { whenFull: 'wait' })
      .then(([outcome]) => recordTally(metrics, 'server', { ...emptyTally(), received: 1, stored: outcome === 'stored' ? 1 : 0, duplicate: outcome === 'stored' ? 0 : 1 }))
      .catch((err: Error) => {
        recordTally(metrics, 'server', refusedTally(1, err))
        log.error({ deviceId: t.deviceId, err: err.message }, 'presence transition not stored')
      })
  }
}

interface Closable { jobs: JobRunner; intake: Intake; presence: Presence; counters: RealtimeCounters; optOuts: OptOuts; mqttPersistence: DbPersistence | null; db: Db; lock: DirLock | undefined }

async function closeAll(c: Closable): Promise<void> {
  await c.jobs.stop()
  await c.intake.close()
  // The broker is closed by now (listen.ts): its last writes finish before the store closes.
  await c.mqttPersistence?.destroy()
  c.presence.close()
  // After the drain: the last commits have fed the counters.
  await c.counters.close()
  // After the drain: the snapshot the next start resumes from. If it cannot be written, the
  // next start rebuilds presence from the store as after a crash (see rebuild.ts).
  await savePresence(c.db, c.presence.list()).catch(() => undefined)
  c.optOuts.close()
  await c.db.close()
  c.lock?.release()
}
