/**
 * The adapter that closes aedes's MQTT 3.1.1 gaps, piece by piece; test/mqtt/ checks the
 * result on the wire against mosquitto.
 */
import type { AedesPublishPacket, Client, Subscription } from 'aedes'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { withConformanceFixes } from '../../gateway/mqtt/conformance-fixes.js'
import { ConformantPersistence, SESSION_MARKER } from '../../gateway/mqtt/conformant-persistence.js'
import type { Db } from '../../processors/db/db.js'
import { openPglite } from '../../processors/db/pglite.js'
import { DbPersistence } from '../../processors/mqtt-persistence/db-persistence.js'
import { migrate } from '../../processors/store/migrate.js'

const broker = { id: 'broker-1' }
const client = { id: 'c1' }
const marker = { topic: SESSION_MARKER, qos: 0 }
const queued = (payload: string, brokerCounter: number, qos = 1) =>
  ({ cmd: 'publish', topic: 'cmd', payload: Buffer.from(payload), qos, retain: false, brokerId: broker.id, brokerCounter })

async function collect(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = []
  for await (const item of stream) items.push(item)
  return items
}

describe('ConformantPersistence: the persistence as the embedded broker sees it', () => {
  let db: Db
  let inner: DbPersistence
  let persistence: ConformantPersistence
  const reopen = async (): Promise<void> => {
    await inner.destroy()
    inner = new DbPersistence({ db })
    persistence = new ConformantPersistence(inner)
    await persistence.setup(broker)
  }
  beforeAll(async () => {
    db = await openPglite()
    await migrate(db)
  })
  afterAll(async () => { await db.close() })
  beforeEach(async () => {
    await db.exec('TRUNCATE mqtt_subscriptions, mqtt_outgoing RESTART IDENTITY')
    inner = new DbPersistence({ db })
    persistence = new ConformantPersistence(inner)
    await persistence.setup(broker)
  })
  afterEach(async () => { await inner.destroy() })

  // aedes calls subscriptionsByClient at each CONNECT with clean=0, cleanSubscriptions at each with clean=1.
  it('records a persistent session at its first CONNECT and reports it at the next, without subscriptions, until a clean session discards it', async () => {
    const first = await persistence.subscriptionsByClient(client)
    const resumed = await persistence.subscriptionsByClient(client)
    await persistence.cleanSubscriptions(client)
    const afterClean = await persistence.subscriptionsByClient(client)
    expect({ first, resumed, afterClean }).toEqual({ first: [], resumed: [marker], afterClean: [] })
  })

  it('keeps the session across a restart, and routes nothing to it', async () => {
    await persistence.subscriptionsByClient(client)
    await reopen()
    expect({ subs: await persistence.subscriptionsByClient(client), routed: await persistence.subscriptionsByTopic(SESSION_MARKER) })
      .toEqual({ subs: [marker], routed: [] })
  })

  it('lets no SUBSCRIBE or UNSUBSCRIBE of a client change the session marker', async () => {
    await persistence.subscriptionsByClient(client)
    await persistence.addSubscriptions(client, [{ topic: SESSION_MARKER, qos: 1 }, { topic: 'devices/d1/commands', qos: 1 }])
    await persistence.removeSubscriptions(client, [SESSION_MARKER])
    expect({ subs: await inner.subscriptionsByClient(client), routed: await inner.subscriptionsByTopic(SESSION_MARKER) })
      .toEqual({ subs: [marker, { topic: 'devices/d1/commands', qos: 1 }], routed: [] })
  })

  it('replays a PUBLISH that was sent before with dup=1, and one never sent and a PUBREL as they were stored', async () => {
    for (const [n, packet] of [queued('sent', 1), queued('unsent', 2), queued('released', 3, 2)].entries()) {
      await persistence.outgoingEnqueue({ clientId: client.id }, packet)
      if (n !== 1) await persistence.outgoingUpdate(client, { ...packet, messageId: 10 + n })
    }
    await persistence.outgoingUpdate(client, { cmd: 'pubrel', messageId: 12 })
    expect(await collect(persistence.outgoingStream(client))).toEqual([
      { ...queued('sent', 1), dup: true, messageId: 10 },
      { ...queued('unsent', 2), dup: false },
      { cmd: 'pubrel', messageId: 12 }
    ])
  })
})

describe('withConformanceFixes: the hooks', () => {
  const persistence = {} as DbPersistence
  const subscriber = (subscriptions: Record<string, { qos: number }>): Client => ({ id: 'c1', subscriptions }) as unknown as Client
  let counter = 0
  const publish = (topic: string, qos: 0 | 1 | 2, brokerCounter = ++counter): AedesPublishPacket =>
    ({ cmd: 'publish', topic, payload: Buffer.from('m'), qos, retain: false, dup: false, brokerId: 'b', brokerCounter }) as AedesPublishPacket

  it('refuses the session marker before any other authorizeSubscribe sees it, and passes other subscriptions on', async () => {
    const asked: string[] = []
    const { authorizeSubscribe } = withConformanceFixes({ persistence, authorizeSubscribe: (_c, sub, done) => { asked.push(sub.topic); done(null, sub) } })
    const authorize = (sub: Subscription) =>
      new Promise((resolve) => authorizeSubscribe?.(subscriber({}), sub, (err, granted) => resolve({ err, granted })))
    const answers = [await authorize({ topic: SESSION_MARKER, qos: 0 }), await authorize({ topic: 'devices/d1/commands', qos: 1 })]
    expect({ answers, asked }).toEqual({
      answers: [{ err: null, granted: null }, { err: null, granted: { topic: 'devices/d1/commands', qos: 1 } }],
      asked: ['devices/d1/commands']
    })
  })

  it('caps a delivery at the highest QoS granted on a filter matching its topic, after the other authorizeForward', () => {
    const { authorizeForward } = withConformanceFixes({ persistence, authorizeForward: (_c, p) => (p.topic === 'conf/refused' ? null : p) })
    const client = subscriber({ 'conf/+': { qos: 1 }, 'conf/#': { qos: 0 }, 'conf/exact': { qos: 2 }, '#': { qos: 1 } })
    const sent = [publish('conf/a', 2), publish('conf/a/b', 1), publish('conf/exact', 2), publish('$SYS/x', 2), publish('conf/a', 0), publish('conf/refused', 2)]
    expect(sent.map((p) => authorizeForward?.(client, p))).toEqual([
      publish('conf/a', 1, sent[0]?.brokerCounter), // `+` at 1 over `#` at 0 (and the root `#` at 1)
      publish('conf/a/b', 1, sent[1]?.brokerCounter), // the root `#` at 1 over `conf/#` at 0
      publish('conf/exact', 2, sent[2]?.brokerCounter),
      publish('$SYS/x', 2, sent[3]?.brokerCounter), // no filter matches a `$` topic through a leading wildcard: left as it is
      publish('conf/a', 0, sent[4]?.brokerCounter),
      null
    ])
    expect(sent[0]?.qos, 'the packet aedes passed is not changed').toBe(2)
  })

  it('gives a client each message once, in whatever order the store let them through, and switches aedes\'s counter check off', async () => {
    const { authorizeForward, preConnect } = withConformanceFixes({ persistence })
    const client = subscriber({ '#': { qos: 1 } })
    const other = subscriber({ '#': { qos: 1 } })
    const later = publish('conf/a', 1, 200)
    const earlier = publish('conf/b', 1, 100)
    // Committed out of order: the earlier message still goes out after the later one.
    expect(authorizeForward?.(client, later)).toEqual(later)
    expect(authorizeForward?.(client, earlier)).toEqual(earlier)
    // The same message again (an overlapping subscription, a queue replay racing a live delivery): once per client.
    expect(authorizeForward?.(client, later)).toBeNull()
    expect(authorizeForward?.(other, later)).toEqual(later)
    const connecting = subscriber({}) as ReturnType<typeof subscriber> & { duplicates: Record<string, number> }
    connecting.duplicates = {}
    await new Promise<void>((resolve) => preConnect?.(connecting as never, {} as never, () => resolve()))
    connecting.duplicates.b = 500
    expect(connecting.duplicates.b, 'aedes reads every counter as never seen').toBe(0)
  })
})
