import type { AedesPublishPacket } from 'aedes'
import { setImmediate as turn } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { openPglite } from '../../processors/db/pglite.js'
import { testConfig } from '../support/gateway.js'

/**
 * aedes routes publishes through mqemitter, which past its `concurrency` queues them and drains
 * the queue recursively: a stack frame set per queued message nobody subscribes to
 * (mcollina/mqemitter#204). A retained batch of 1,000 statuses filling aedes's default 100
 * slots, with a 5,000-heartbeat group commit queued behind it, overflowed the stack and ended
 * the process (bench/offline-detection.ts).
 */
describe('the embedded broker under a burst of deliveries', () => {
  let gw: Gateway
  afterEach(async () => { await gw.close() })

  it('routes 5,000 messages nobody subscribes to behind 150 deliveries in flight, without overflowing the stack', async () => {
    gw = await buildGateway(testConfig(), { db: await openPglite() })
    const broker = gw.broker
    if (broker === null) throw new Error('no embedded broker')
    const inFlight: Array<() => void> = []
    await new Promise<void>((resolve) => broker.subscribe('held/+', (_packet, done) => { inFlight.push(done) }, resolve))
    const publish = (topic: string) => new Promise<void>((resolve, reject) => {
      const packet = { cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false } as AedesPublishPacket
      broker.publish(packet, (err) => { if (err) reject(err); else resolve() })
    })
    const published = [
      ...Array.from({ length: 150 }, (_, i) => publish(`held/${i}`)),
      ...Array.from({ length: 5000 }, (_, i) => publish(`nobody/${i}`))
    ]
    let delivered = 0
    for (let turns = 0; turns < 100 && delivered < 150; turns++) {
      await turn()
      const ready = inFlight.splice(0)
      delivered += ready.length
      for (const done of ready) done()
    }
    await Promise.all(published)
    expect(delivered).toBe(150)
  })
})
