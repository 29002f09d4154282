/**
 * Topic matching: `$` topics, the `+` and `#` wildcards, and overlapping subscriptions.
 */
import { expect } from 'vitest'
import { caseNames, msg, type Message } from './clients.js'
import type { CaseContext } from './context.js'

export function topicCases({ spec, connect }: CaseContext): void {
  // `$conf/…` is a `$` topic that both brokers let clients publish to; `$SYS/…` is published
  // by each broker itself (mosquitto's retained `$SYS/broker/…`, aedes's `$SYS/<id>/new/clients`).
  spec('dollar-topics', '$ topics: `#` and `+/…` match no topic beginning with $, while a filter naming the $ level does [MQTT-4.7.2-1]', async () => {
    const n = caseNames()
    const dollar = `$${n.root}/x`
    const all = await connect({ clientId: n.id('all') })
    const plus = await connect({ clientId: n.id('plus') })
    const named = await connect({ clientId: n.id('named') })
    const sys = await connect({ clientId: n.id('sys') })
    await all.client.subscribeAsync('#', { qos: 1 })
    await plus.client.subscribeAsync(`+/${n.root.split('/')[1]}/x`, { qos: 1 })
    await named.client.subscribeAsync(`$${n.root}/#`, { qos: 1 })
    await sys.client.subscribeAsync('$SYS/#', { qos: 0 })
    // Connecting makes aedes publish on $SYS; mosquitto has retained $SYS topics already.
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(dollar, 'dollar', { qos: 1 })
    await pub.client.publishAsync(n.topic('x'), 'plain', { qos: 1 })
    const isOurs = (m: Message): boolean => m.topic === n.topic('x')
    const seenByAll = await all.inbox.settle((got) => got.some(isOurs))
    const sysSeen = await sys.inbox.settle(1)
    expect({
      dollarTopicsSeenByHash: seenByAll.filter((m) => m.topic.startsWith('$')),
      oursSeenByHash: seenByAll.filter((m) => m.topic.includes(n.root)),
      plus: await plus.inbox.settle(1),
      named: await named.inbox.settle(1),
      sysHasMessages: sysSeen.length > 0
    }).toEqual({
      dollarTopicsSeenByHash: [],
      oursSeenByHash: [msg(n.topic('x'), 'plain')],
      plus: [msg(n.topic('x'), 'plain')],
      named: [msg(dollar, 'dollar')],
      sysHasMessages: true
    })
  })

  spec('wildcards', 'wildcards: `+` matches exactly one level, an empty one too; `#` matches its parent and any depth [MQTT-4.7.1-2, MQTT-4.7.1-3]', async () => {
    const n = caseNames()
    const plus = await connect({ clientId: n.id('plus') })
    const hash = await connect({ clientId: n.id('hash') })
    await plus.client.subscribeAsync(n.topic('+/temp'), { qos: 1 })
    await hash.client.subscribeAsync(n.topic('a/#'), { qos: 1 })
    const pub = await connect({ clientId: n.id('pub') })
    const suffixes = ['t1/temp', '/temp', 't1/x/temp', 'temp', 'a', 'a/b/c', 'ab', 'a/temp', 'a/']
    for (const suffix of suffixes) await pub.client.publishAsync(n.topic(suffix), suffix, { qos: 1 })
    const expected = (list: string[]): Message[] => list.map((s) => msg(n.topic(s), s))
    expect({ plus: await plus.inbox.settle(3), hash: await hash.inbox.settle(4) }).toEqual({
      plus: expected(['t1/temp', '/temp', 'a/temp']),
      hash: expected(['a', 'a/b/c', 'a/temp', 'a/'])
    })
  })

  // [MQTT-3.3.5-1]: one copy at the highest QoS of the matching subscriptions is required;
  // further copies, one per extra matching subscription at its own QoS, are allowed. Both
  // orientations are checked: a broker that keeps the QoS of whichever filter it matched
  // first passes one of them by luck.
  spec('overlapping', 'overlapping subscriptions of one client: a copy at the highest matching QoS, and at most one more per extra subscription [MQTT-3.3.5-1]', async () => {
    const n = caseNames()
    const sub = await connect({ clientId: n.id('sub') })
    await sub.client.subscribeAsync({
      [n.topic('plus-low/+')]: { qos: 0 }, [n.topic('plus-low/#')]: { qos: 1 },
      [n.topic('hash-low/+')]: { qos: 1 }, [n.topic('hash-low/#')]: { qos: 0 }
    })
    const pub = await connect({ clientId: n.id('pub') })
    const allowed = (topic: string): Message[][] => {
      const one = msg(topic, 'both')
      const extra = msg(topic, 'both', { qos: 0 })
      return [[one], [one, extra], [extra, one]]
    }
    const received: Record<string, Message[]> = {}
    for (const family of ['plus-low', 'hash-low']) {
      await pub.client.publishAsync(n.topic(`${family}/x`), 'both', { qos: 1 })
      received[family] = await sub.inbox.settle(1)
    }
    expect.soft(allowed(n.topic('plus-low/x'))).toContainEqual(received['plus-low'])
    expect.soft(allowed(n.topic('hash-low/x'))).toContainEqual(received['hash-low'])
  })
}
