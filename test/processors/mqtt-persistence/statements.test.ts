import { once } from 'node:events'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { openPglite } from '../../../processors/db/pglite.js'
import { startBroker, type RunningBroker } from './broker-harness.js'

/**
 * What a QoS 1 message to a persistent subscriber costs in statements: the numbers the
 * persistence's performance notes quote, measured through a real broker.
 */
describe('statements the persistence costs per message and per connection', () => {
  let db: Db
  let running: RunningBroker
  const statements: string[] = []
  beforeAll(async () => {
    db = await openPglite()
    const counting: Db = { ...db, query: (sql, params) => { statements.push(sql.trim().split(/\s+/)[0] ?? ''); return db.query(sql, params) } }
    running = await startBroker(counting)
  })
  afterAll(async () => {
    await running.stop()
    await db.close()
  })
  const acked = () => once(running.broker, 'ack')
  const gone = (clientId: string) => new Promise<void>((resolve) => {
    const onGone = (client: { id: string }): void => {
      if (client.id !== clientId) return
      running.broker.off('clientDisconnect', onGone)
      resolve()
    }
    running.broker.on('clientDisconnect', onGone)
  })

  it('is three when the subscriber is online: queue, message id, acknowledgement', async () => {
    const sub = await mqtt.connectAsync(running.url, { clientId: 'sub', clean: false, reconnectPeriod: 0 })
    await sub.subscribeAsync('cmd', { qos: 1 })
    const pub = await mqtt.connectAsync(running.url, { clientId: 'pub', reconnectPeriod: 0 })
    statements.length = 0
    const ack = acked()
    await pub.publishAsync('cmd', 'one', { qos: 1 })
    await ack
    expect(statements).toEqual(['INSERT', 'UPDATE', 'DELETE'])
    const subGone = gone('sub')
    await sub.endAsync()
    await pub.endAsync()
    await subGone
  })

  it('is one while it is offline, and four more for the replay when it returns', async () => {
    const pub = await mqtt.connectAsync(running.url, { clientId: 'pub', reconnectPeriod: 0 })
    statements.length = 0
    const pubGone = gone('pub')
    await pub.publishAsync('cmd', 'two', { qos: 1 })
    await pub.endAsync()
    // aedes routes a QoS 1 message after its PUBACK; the publisher's disconnect comes after.
    await pubGone
    expect(statements).toEqual(['INSERT'])
    statements.length = 0
    const ack = acked()
    const sub = await mqtt.connectAsync(running.url, { clientId: 'sub', clean: false, reconnectPeriod: 0 })
    await ack
    // The replay's bound and page, the message id, the acknowledgement.
    expect(statements).toEqual(['SELECT', 'SELECT', 'UPDATE', 'DELETE'])
    await sub.endAsync()
  })

  it('is none for a clean session without a Will coming and going, two with a Will', async () => {
    statements.length = 0
    const plainGone = gone('plain')
    await (await mqtt.connectAsync(running.url, { clientId: 'plain', reconnectPeriod: 0 })).endAsync()
    await plainGone
    expect(statements).toEqual([])
    const willGone = gone('willing')
    const will = { topic: 'devices/willing/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true }
    await (await mqtt.connectAsync(running.url, { clientId: 'willing', reconnectPeriod: 0, will })).endAsync()
    await willGone
    // aedes deletes the Will without waiting; destroy() drains it (the last test of the file).
    await running.persistence.destroy()
    expect(statements).toEqual(['INSERT', 'DELETE'])
  })
})
