import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { DbPersistence } from '../../../processors/mqtt-persistence/db-persistence.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const broker = { id: 'broker-1' }
const client = { id: 'c1' }
const publish = (topic: string, payload: string | Buffer, brokerCounter: number) =>
  ({ cmd: 'publish', topic, payload, qos: 1, retain: false, brokerId: broker.id, brokerCounter })

async function collect(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = []
  for await (const item of stream) items.push(item)
  return items
}

describe.each(backends)('database persistence on %s', (_name, open) => {
  let db: Db
  let persistence: DbPersistence
  const reopen = async (opts: { outgoingPageSize?: number } = {}): Promise<DbPersistence> => {
    await persistence.destroy()
    persistence = new DbPersistence({ db, ...opts })
    await persistence.setup(broker)
    return persistence
  }

  beforeEach(async () => {
    db = await open()
    await migrate(db)
    persistence = new DbPersistence({ db })
    await persistence.setup(broker)
  })
  afterEach(async () => {
    await persistence.destroy()
    await db.close()
  })

  it('rebuilds its index from the tables: retained messages, subscriptions and counts', async () => {
    await persistence.storeRetained({ cmd: 'publish', topic: 'devices/d1/status', payload: Buffer.from('online'), qos: 1, retain: true })
    await persistence.addSubscriptions(client, [{ topic: 'devices/+/commands', qos: 1 }, { topic: 'devices/d1/events', qos: 0 }])
    const p = await reopen()
    expect(await collect(p.createRetainedStreamCombi(['devices/#']))).toEqual([
      { cmd: 'publish', topic: 'devices/d1/status', payload: Buffer.from('online'), qos: 1, retain: true }
    ])
    expect(await p.subscriptionsByTopic('devices/d2/commands')).toEqual([
      { clientId: 'c1', topic: 'devices/+/commands', qos: 1, rh: undefined, rap: undefined, nl: undefined }
    ])
    expect(await p.countOffline()).toEqual({ subsCount: 1, clientsCount: 1 })
    expect(await p.subscriptionsByClient(client)).toEqual([
      { topic: 'devices/+/commands', qos: 1, rh: undefined, rap: undefined, nl: undefined },
      { topic: 'devices/d1/events', qos: 0, rh: undefined, rap: undefined, nl: undefined }
    ])
  })

  it('replays a queue a page at a time, up to the last packet queued when the replay began', async () => {
    const p = await reopen({ outgoingPageSize: 2 })
    for (let n = 1; n <= 5; n++) await p.outgoingEnqueue({ clientId: 'c1' }, publish('cmd', `m${n}`, n))
    const replay = p.outgoingStream(client)[Symbol.asyncIterator]()
    const first = await replay.next()
    await p.outgoingEnqueue({ clientId: 'c1' }, publish('cmd', 'late', 6))
    const rest = await collect({ [Symbol.asyncIterator]: () => replay })
    expect([first.value, ...rest].map((packet) => (packet as { payload: Buffer }).payload.toString())).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
  })

  it('keeps binary and string payloads and binary MQTT 5 properties apart', async () => {
    const correlationData = Buffer.from([0, 1, 2, 255])
    await persistence.outgoingEnqueueCombi([{ clientId: 'c1' }, { clientId: 'c2' }], { ...publish('a', Buffer.from([0, 255]), 1), properties: { correlationData } })
    await persistence.outgoingEnqueue({ clientId: 'c1' }, publish('b', 'text', 2))
    const queued = await collect(persistence.outgoingStream(client)) as Array<Record<string, unknown>>
    expect(queued.map(({ payload, properties }) => ({ payload, properties }))).toEqual([
      { payload: Buffer.from([0, 255]), properties: { correlationData } },
      { payload: 'text', properties: undefined }
    ])
    expect(await collect(persistence.outgoingStream({ id: 'c2' }))).toHaveLength(1)
  })

  it('clears a packet aedes chose not to deliver (no message id) by its broker counter, not the first unsent one', async () => {
    await persistence.outgoingEnqueue({ clientId: 'c1' }, publish('cmd', 'first', 1))
    await persistence.outgoingEnqueue({ clientId: 'c1' }, publish('cmd', 'second', 2))
    const cleared = await persistence.outgoingClearMessageId(client, publish('cmd', 'second', 2))
    expect(cleared?.payload).toBe('second')
    const left = await collect(persistence.outgoingStream(client)) as Array<{ payload: string }>
    expect(left.map((packet) => packet.payload)).toEqual(['first'])
  })

  it('shares one statement between the calls aedes makes for each topic of a SUBSCRIBE', async () => {
    const statements: string[] = []
    const counting: Db = { ...db, query: (sql, params) => { statements.push(sql.trim().split(/\s+/)[0] ?? ''); return db.query(sql, params) } }
    const p = new DbPersistence({ db: counting })
    await p.setup(broker)
    statements.length = 0
    const subs = [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 1 }, { topic: 'c', qos: 1 }]
    await Promise.all(subs.map(() => p.addSubscriptions(client, subs)))
    expect(statements).toEqual(['INSERT'])
    await p.destroy()
  })

  it('lets work under way finish on destroy, then refuses new work with PG_ERR_SHUTTING_DOWN', async () => {
    const stored = persistence.storeRetained({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: true })
    await persistence.destroy()
    await expect(stored).resolves.toBeUndefined()
    await expect(persistence.outgoingEnqueue({ clientId: 'c1' }, publish('t', 'y', 1))).rejects.toMatchObject({ code: 'PG_ERR_SHUTTING_DOWN' })
    const { rows } = await db.query('SELECT topic FROM mqtt_retained')
    expect(rows).toEqual([{ topic: 't' }])
  })
})
