import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db, Queryable } from '../../../processors/db/db.js'
import { DbPersistence } from '../../../processors/mqtt-persistence/db-persistence.js'
import type { AnyPacket } from '../../../processors/mqtt-persistence/packet-codec.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const broker = { id: 'broker-1' }
const retained = (topic: string, payload: string | Buffer): AnyPacket => ({ cmd: 'publish', topic, payload, qos: 1, retain: true })

async function collect(stream: AsyncIterable<unknown>): Promise<AnyPacket[]> {
  const items: AnyPacket[] = []
  for await (const item of stream) items.push(item as AnyPacket)
  return items
}

/** The database, counting the statements run through it, in a transaction or not. */
function counting(db: Db, statements: string[]): Db {
  const counted = (q: Queryable): Queryable['query'] => (sql, params) => {
    statements.push(sql.trim().split(/\s+/)[0] ?? '')
    return q.query(sql, params)
  }
  return { ...db, query: counted(db), transaction: (fn) => db.transaction((tx) => fn({ query: counted(tx) })) }
}

const byTopic = (a: AnyPacket, b: AnyPacket): number => String(a.topic) < String(b.topic) ? -1 : 1

/**
 * When a fleet goes offline in one second the gateway publishes a retained status per device,
 * and aedes forwards each only once it is stored: one statement per message made subscribers
 * see the last statuses 2.2 s late (BENCHMARKS.md, offline detection). They are written in batches.
 */
describe.each(backends)('retained messages written in batches on %s', (_name, open) => {
  let db: Db
  let persistence: DbPersistence
  const statements: string[] = []

  beforeEach(async () => {
    db = await open()
    await migrate(db)
    persistence = new DbPersistence({ db: counting(db, statements) })
    await persistence.setup(broker)
  })
  afterEach(async () => {
    await persistence.destroy()
    await db.close()
  })

  it('stores 2,000 concurrent messages in a few statements, the last write of a topic winning', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => persistence.storeRetained(retained(`pre/${i}`, 'kept'))))
    const status = (i: number) => `devices/d${i}/status`
    const calls: AnyPacket[] = [
      ...Array.from({ length: 1200 }, (_, i) => retained(status(i), Buffer.from(`offline ${i}`))),
      // Clears topics stored by an earlier batch.
      ...Array.from({ length: 50 }, (_, i) => retained(`pre/${i}`, Buffer.alloc(0))),
      // Second writes, in the second batch of 1,000: they must win over the first batch's.
      ...Array.from({ length: 300 }, (_, i) => retained(status(i), 'online')),
      ...Array.from({ length: 100 }, (_, i) => retained(status(1100 + i), '')),
      // Cleared, then set again in the same batch.
      ...Array.from({ length: 175 }, (_, i) => [retained(`x/${i}`, Buffer.alloc(0)), retained(`x/${i}`, Buffer.from([0, 255, i]))]).flat()
    ]
    expect(calls).toHaveLength(2000)
    statements.length = 0

    await Promise.all(calls.map((packet) => persistence.storeRetained(packet)))

    // Two batches of 1,000: the first only upserts, the second upserts and clears.
    expect(statements).toEqual(['INSERT', 'INSERT', 'DELETE'])
    const expected = [
      ...Array.from({ length: 300 }, (_, i) => retained(status(i), 'online')),
      ...Array.from({ length: 800 }, (_, i) => retained(status(300 + i), Buffer.from(`offline ${300 + i}`))),
      ...Array.from({ length: 50 }, (_, i) => retained(`pre/${50 + i}`, 'kept')),
      ...Array.from({ length: 175 }, (_, i) => retained(`x/${i}`, Buffer.from([0, 255, i])))
    ].sort(byTopic)
    const { rows } = await db.query<{ topic: string; text: string | null; bytes: Uint8Array | null }>(
      `SELECT topic, header->>'payload' AS text, payload AS bytes FROM mqtt_retained ORDER BY topic COLLATE "C"`)
    expect(rows.map(({ topic, text, bytes }) => ({ topic, payload: bytes === null ? text : Buffer.from(bytes) })))
      .toEqual(expected.map(({ topic, payload }) => ({ topic, payload })))
    expect((await collect(persistence.createRetainedStreamCombi(['#']))).sort(byTopic)).toEqual(expected)
    const reopened = new DbPersistence({ db })
    await reopened.setup(broker)
    expect((await collect(reopened.createRetainedStreamCombi(['#']))).sort(byTopic)).toEqual(expected)
    await reopened.destroy()
  })

  it('rejects only the message the database refuses, and stores the others of its batch', async () => {
    const results = await Promise.allSettled([
      persistence.storeRetained(retained('a', 'first')),
      // jsonb cannot hold U+0000: a string payload is stored in the header.
      persistence.storeRetained(retained('b', 'nul \u0000')),
      persistence.storeRetained(retained('a', 'second'))
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await collect(persistence.createRetainedStreamCombi(['#']))).toEqual([retained('a', 'second')])
    const { rows } = await db.query(`SELECT topic, header->>'payload' AS payload FROM mqtt_retained`)
    expect(rows).toEqual([{ topic: 'a', payload: 'second' }])
  })

  it('rejects every message of a batch when the database is down, and keeps them out of the index', async () => {
    const down = (): Promise<never> => Promise.reject(new Error('connection refused'))
    const p = new DbPersistence({ db: { ...db, query: down, transaction: down } })
    const results = await Promise.allSettled([p.storeRetained(retained('a', 'x')), p.storeRetained(retained('b', ''))])
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('connection refused') },
      { status: 'rejected', reason: new Error('connection refused') }
    ])
    expect(await collect(p.createRetainedStreamCombi(['#']))).toEqual([])
    await p.destroy()
  })
})
