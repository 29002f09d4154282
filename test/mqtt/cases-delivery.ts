/**
 * Delivery: retained messages, the QoS a subscriber gets, and UNSUBSCRIBE.
 */
import { expect } from 'vitest'
import { caseNames, msg } from './clients.js'
import type { CaseContext } from './context.js'

export function deliveryCases({ spec, connect }: CaseContext): void {
  spec('retained', 'retained: a later subscriber gets the last retained message with retain=1, a live subscriber gets retain=0, and an empty retained payload clears it [MQTT-3.3.1-5, MQTT-3.3.1-6, MQTT-3.3.1-9, MQTT-3.3.1-10, MQTT-3.3.1-11]', async () => {
    const n = caseNames()
    const status = n.topic('status')
    const live = await connect({ clientId: n.id('live') })
    await live.client.subscribeAsync(status, { qos: 1 })
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(status, 'v1', { qos: 1, retain: true })
    await pub.client.publishAsync(status, 'v2', { qos: 1, retain: true })
    const liveBefore = await live.inbox.settle(2)
    const later = await connect({ clientId: n.id('later') })
    await later.client.subscribeAsync(status, { qos: 1 })
    const laterGot = await later.inbox.settle(1)
    // A zero-byte retained publish is delivered as normal to current subscribers [MQTT-3.3.1-10].
    await pub.client.publishAsync(status, '', { qos: 1, retain: true })
    const liveClear = await live.inbox.settle(1)
    const after = await connect({ clientId: n.id('after') })
    await after.client.subscribeAsync(status, { qos: 1 })
    expect({ liveBefore, laterGot, liveClear, after: await after.inbox.settle(0) }).toEqual({
      liveBefore: [msg(status, 'v1'), msg(status, 'v2')],
      laterGot: [msg(status, 'v2', { retain: true })],
      liveClear: [msg(status, '')],
      after: []
    })
  })

  spec('qos-downgrade', 'QoS: a message is delivered at the lower of its published QoS and the subscription\'s [MQTT-3.8.4-6]', async () => {
    const n = caseNames()
    const topic = n.topic('data')
    const atOne = await connect({ clientId: n.id('sub1') })
    const atZero = await connect({ clientId: n.id('sub0') })
    const granted = [await atOne.client.subscribeAsync(topic, { qos: 1 }), await atZero.client.subscribeAsync(topic, { qos: 0 })]
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(topic, 'sent-1', { qos: 1 })
    await pub.client.publishAsync(topic, 'sent-0', { qos: 0 })
    expect({
      granted: granted.map((g) => g.map((s) => s.qos)),
      atOne: await atOne.inbox.settle(2),
      atZero: await atZero.inbox.settle(2)
    }).toEqual({
      granted: [[1], [0]],
      atOne: [msg(topic, 'sent-1'), msg(topic, 'sent-0', { qos: 0 })],
      atZero: [msg(topic, 'sent-1', { qos: 0 }), msg(topic, 'sent-0', { qos: 0 })]
    })
  })

  spec('qos-wildcard-cap', 'QoS: a wildcard subscription caps the QoS too (QoS 2 published, QoS 1 granted on `+`, QoS 0 on `#`) [MQTT-3.8.4-6]', async () => {
    const n = caseNames()
    const plus = await connect({ clientId: n.id('plus') })
    const hash = await connect({ clientId: n.id('hash') })
    await plus.client.subscribeAsync(n.topic('+'), { qos: 1 })
    await hash.client.subscribeAsync(n.topic('#'), { qos: 0 })
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(n.topic('a'), 'sent-2', { qos: 2 })
    expect({ plus: await plus.inbox.settle(1), hash: await hash.inbox.settle(1) })
      .toEqual({ plus: [msg(n.topic('a'), 'sent-2')], hash: [msg(n.topic('a'), 'sent-2', { qos: 0 })] })
  })

  spec('unsubscribe', 'UNSUBSCRIBE stops delivery on that filter and no other [MQTT-3.10.4-1, MQTT-3.10.4-2]', async () => {
    const n = caseNames()
    const [gone, kept] = [n.topic('gone'), n.topic('kept')]
    const sub = await connect({ clientId: n.id('sub') })
    await sub.client.subscribeAsync([gone, kept], { qos: 1 })
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(gone, 'before', { qos: 1 })
    const before = await sub.inbox.settle(1)
    await sub.client.unsubscribeAsync(gone)
    await pub.client.publishAsync(gone, 'after', { qos: 1 })
    await pub.client.publishAsync(kept, 'still', { qos: 1 })
    expect({ before, after: await sub.inbox.settle(1) })
      .toEqual({ before: [msg(gone, 'before')], after: [msg(kept, 'still')] })
  })
}
