/**
 * Proves the loopback harness gives real servers: each one is spoken to with its own
 * protocol, not merely probed for an open port.
 */
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { access } from 'node:fs/promises'
import net from 'node:net'
import { promisify } from 'node:util'
import { connectAsync, type IPublishPacket } from 'mqtt'
import pg from 'pg'
import { describe, expect, inject, it } from 'vitest'
import { createDatabase, freePort, redisRawCommand, startPostgres, startRedis } from './services.js'

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

const uniqueName = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`

const accepts = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.once('connect', () => { socket.destroy(); resolve(true) })
  socket.once('error', () => resolve(false))
})

describe('global setup', () => {
  it('publishes the same URLs through inject() and the environment', () => {
    expect({
      pg: process.env.PULSEGATE_TEST_PG_URL,
      redis: process.env.PULSEGATE_TEST_REDIS_URL,
      mqtt: process.env.PULSEGATE_TEST_MQTT_URL
    }).toEqual({ pg: inject('pgUrl'), redis: inject('redisUrl'), mqtt: inject('mosquittoUrl') })
  })
})

describe('PostgreSQL', () => {
  it('is PostgreSQL 15 or newer, serving pulsegate_test', async () => {
    const [row] = await query<{ version: string; db: string }>(inject('pgUrl'), 'select version(), current_database() as db')
    const major = Number(/^PostgreSQL (\d+)/.exec(row?.version ?? '')?.[1])
    expect(major).toBeGreaterThanOrEqual(15)
    expect(row?.db).toBe('pulsegate_test')
  })

  it('createDatabase gives each caller an isolated database', async () => {
    const names = [uniqueName('iso_a'), uniqueName('iso_b')]
    const [a, b] = await Promise.all(names.map((n) => createDatabase(inject('pgUrl'), n))) as [string, string]
    await query(a, 'create table only_in_a (id int)')
    const tables = (url: string): Promise<{ name: string }[]> =>
      query(url, "select table_name as name from information_schema.tables where table_schema = 'public'")
    expect({ a: await tables(a), b: await tables(b) }).toEqual({ a: [{ name: 'only_in_a' }], b: [] })
  })

  it('createDatabase rejects names that would need quoting', async () => {
    await expect(createDatabase(inject('pgUrl'), 'x"; drop')).rejects.toThrow(/invalid database name/)
  })

  it('stop() shuts the cluster down and deletes its data dir', async () => {
    const server = await startPostgres()
    const port = Number(new URL(server.url).port)
    await server.stop()
    expect({ accepts: await accepts(port), dataDir: await access(server.dataDir).then(() => 'kept', () => 'gone') })
      .toEqual({ accepts: false, dataDir: 'gone' })
  })
})

describe('Redis', () => {
  it('answers PING with +PONG over raw TCP', async () => {
    expect(await redisRawCommand(inject('redisUrl'), 'PING')).toBe('+PONG\r\n')
  })

  it('stop() closes the port', async () => {
    const server = await startRedis()
    expect(await redisRawCommand(server.url, 'PING')).toBe('+PONG\r\n')
    await server.stop()
    expect(await accepts(Number(new URL(server.url).port))).toBe(false)
  })
})

describe('mosquitto', () => {
  it('relays a QoS 1 message byte for byte', async () => {
    const topic = `pulsegate/test/${randomUUID()}`
    // Every byte value, so no encoding step could pass unnoticed.
    const payload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1024)])
    const subscriber = await connectAsync(inject('mosquittoUrl'), { clientId: `sub-${randomUUID()}` })
    const publisher = await connectAsync(inject('mosquittoUrl'), { clientId: `pub-${randomUUID()}` })
    try {
      await subscriber.subscribeAsync(topic, { qos: 1 })
      const received = new Promise<IPublishPacket>((resolve) => subscriber.once('message', (_t, _p, packet) => resolve(packet)))
      await publisher.publishAsync(topic, payload, { qos: 1 })
      const packet = await received
      expect({ topic: packet.topic, qos: packet.qos, payload: Buffer.from(packet.payload).toString('hex') })
        .toEqual({ topic, qos: 1, payload: payload.toString('hex') })
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()])
    }
  })
})

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort()
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => server.close(() => resolve()))
    expect(port).toBeGreaterThan(0)
  })
})

describe('regression: stop() as the last step of a script', () => {
  it('keeps the process alive until the server has stopped (stop-child-unref)', async () => {
    const script = `import { startMosquitto } from ${JSON.stringify(new URL('./services.ts', import.meta.url).pathname)}
const m = await startMosquitto(); await m.stop(); process.stdout.write('stopped')`
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
    expect(stdout).toBe('stopped')
  })
})
