/**
 * Starts one PostgreSQL, one Redis and one mosquitto for the whole test run and hands
 * their URLs to tests through `inject()` and to child processes through the environment.
 */
import type { TestProject } from 'vitest/node'
import {
  ensureDebianPackages, startMosquitto, startPostgres, startRedis,
  type PackageRequirement, type RunningServer
} from './support/services.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres:// URL of the `pulsegate_test` database; superuser, trust auth. */
    pgUrl: string
    /** redis:// URL of an empty Redis without persistence. */
    redisUrl: string
    /** mqtt:// URL of an anonymous mosquitto broker. */
    mosquittoUrl: string
  }
}

// One apt-get call for everything; installing per server would run apt three times.
const PACKAGES: PackageRequirement[] = [
  { binary: 'initdb', pkg: 'postgresql' },
  { binary: 'redis-server', pkg: 'redis-server' },
  { binary: 'mosquitto', pkg: 'mosquitto' },
  { binary: 'mosquitto_pub', pkg: 'mosquitto-clients' }
]

const ENV_KEYS = ['PULSEGATE_TEST_PG_URL', 'PULSEGATE_TEST_REDIS_URL', 'PULSEGATE_TEST_MQTT_URL'] as const

async function stopAll(servers: RunningServer[]): Promise<void> {
  const results = await Promise.allSettled(servers.map((s) => s.stop()))
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed.length > 0) throw new AggregateError(failed.map((r) => r.reason), 'stopping test services failed')
}

/** Starts all three; if one fails, the others are stopped before the error surfaces. */
async function startAll(): Promise<[RunningServer, RunningServer, RunningServer]> {
  const results = await Promise.allSettled([startPostgres(), startRedis(), startMosquitto()])
  const [pg, redis, mqtt] = results
  if (pg.status === 'fulfilled' && redis.status === 'fulfilled' && mqtt.status === 'fulfilled') {
    return [pg.value, redis.value, mqtt.value]
  }
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  await stopAll(started)
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
  throw new AggregateError(errors, `test services failed to start: ${errors.map(String).join('; ')}`)
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  await ensureDebianPackages(PACKAGES)
  const servers = await startAll()
  const [pg, redis, mqtt] = servers
  provide('pgUrl', pg.url)
  provide('redisUrl', redis.url)
  provide('mosquittoUrl', mqtt.url)
  // Workers are forked after setup with a copy of this env, so servers they spawn see it too.
  process.env.PULSEGATE_TEST_PG_URL = pg.url
  process.env.PULSEGATE_TEST_REDIS_URL = redis.url
  process.env.PULSEGATE_TEST_MQTT_URL = mqtt.url
  return async () => {
    for (const key of ENV_KEYS) delete process.env[key]
    await stopAll(servers)
  }
}
