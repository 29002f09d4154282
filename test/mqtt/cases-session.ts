/**
 * Sessions: CONNACK's session-present flag, what a persistent session keeps while the device
 * is away, QoS 1 redelivery after a lost PUBACK, client-id takeover, and a broker restart.
 */
import type { IConnackPacket, IPublishPacket } from 'mqtt'
import { expect } from 'vitest'
import { caseNames, msg, within } from './clients.js'
import type { CaseContext } from './context.js'

const connackOf = (c: IConnackPacket): { returnCode: number | undefined; sessionPresent: boolean } =>
  ({ returnCode: c.returnCode, sessionPresent: c.sessionPresent })

const accepted = (sessionPresent: boolean): ReturnType<typeof connackOf> => ({ returnCode: 0, sessionPresent })

export function sessionCases({ spec, connect, broker }: CaseContext): void {
  spec('connack-session-present', 'CONNACK session present: 0 for a clean session and a new persistent one, 1 when a persistent session resumes, 0 after a clean session discarded it [MQTT-3.2.2-1, MQTT-3.2.2-2, MQTT-3.1.2-6]', async () => {
    const n = caseNames()
    const clean = await connect({ clientId: n.id('clean'), clean: true })
    const first = await connect({ clientId: n.id('dev'), clean: false })
    await first.client.subscribeAsync(n.topic('cmd'), { qos: 1 })
    await first.client.endAsync()
    const resumed = await connect({ clientId: n.id('dev'), clean: false })
    await resumed.client.endAsync()
    const wiped = await connect({ clientId: n.id('dev'), clean: true })
    await wiped.client.endAsync()
    const fresh = await connect({ clientId: n.id('dev'), clean: false })
    expect([clean, first, resumed, wiped, fresh].map((d) => connackOf(d.connack)))
      .toEqual([accepted(false), accepted(false), accepted(true), accepted(false), accepted(false)])
  })

  // §3.1.2.4: session state is "the existence of a Session, even if the rest of the Session
  // state is empty" — a publish-only device has a session without subscriptions.
  spec('connack-empty-session', 'CONNACK session present: 1 when a persistent session without subscriptions resumes [MQTT-3.2.2-2]', async () => {
    const n = caseNames()
    const first = await connect({ clientId: n.id('pubonly'), clean: false })
    await first.client.endAsync()
    const resumed = await connect({ clientId: n.id('pubonly'), clean: false })
    expect([first, resumed].map((d) => connackOf(d.connack))).toEqual([accepted(false), accepted(true)])
  })

  spec('persistent-session', 'persistent session: QoS 1 messages published while the device is away arrive, in order, when it resumes without resubscribing [MQTT-3.1.2-4, MQTT-3.1.2-5]', async () => {
    const n = caseNames()
    const topic = n.topic('cmd')
    const sub = await connect({ clientId: n.id('sub'), clean: false })
    await sub.client.subscribeAsync(topic, { qos: 1 })
    await sub.client.endAsync()
    const pub = await connect({ clientId: n.id('pub') })
    for (const payload of ['m1', 'm2', 'm3']) await pub.client.publishAsync(topic, payload, { qos: 1 })
    const back = await connect({ clientId: n.id('sub'), clean: false })
    expect({ connack: connackOf(back.connack), received: await back.inbox.settle(3) })
      .toEqual({ connack: accepted(true), received: ['m1', 'm2', 'm3'].map((p) => msg(topic, p)) })
  })

  spec('clean-session', 'clean session: reconnecting with clean=1 discards the queued messages and the subscriptions [MQTT-3.1.2-6]', async () => {
    const n = caseNames()
    const topic = n.topic('cmd')
    const sub = await connect({ clientId: n.id('sub'), clean: false })
    await sub.client.subscribeAsync(topic, { qos: 1 })
    await sub.client.endAsync()
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(topic, 'queued', { qos: 1 })
    const back = await connect({ clientId: n.id('sub'), clean: true })
    const onConnect = await back.inbox.settle(0)
    await pub.client.publishAsync(topic, 'unsubscribed', { qos: 1 })
    const afterPublish = await back.inbox.settle(0)
    // Positive control: the same connection does receive once it subscribes again.
    await back.client.subscribeAsync(topic, { qos: 1 })
    await pub.client.publishAsync(topic, 'resubscribed', { qos: 1 })
    expect({ connack: connackOf(back.connack), onConnect, afterPublish, control: await back.inbox.settle(1) })
      .toEqual({ connack: accepted(false), onConnect: [], afterPublish: [], control: [msg(topic, 'resubscribed')] })
  })

  spec('qos1-redelivery', 'QoS 1 redelivery: a message never PUBACKed is sent again with dup=1 and its packet id when the persistent session resumes [MQTT-4.4.0-1, MQTT-3.3.1-1]', async () => {
    const n = caseNames()
    const topic = n.topic('cmd')
    const held: IPublishPacket[] = []
    // MQTT.js PUBACKs a QoS 1 message when handleMessage calls back; this one never does.
    const first = await connect({ clientId: n.id('dev'), clean: false, handleMessage: (packet) => { held.push(packet) } })
    await first.client.subscribeAsync(topic, { qos: 1 })
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(topic, 'unacked', { qos: 1 })
    const firstDelivery = await first.inbox.settle(1)
    first.cut()
    await within(first.closed, 2_000, 'cut connection closing')
    const redelivered: IPublishPacket[] = []
    const again = await connect({ clientId: n.id('dev'), clean: false, handleMessage: (packet, done) => { redelivered.push(packet); done() } })
    const secondDelivery = await again.inbox.settle(1)
    expect({ firstDelivery, secondDelivery, sameId: redelivered.map((p) => p.messageId === held[0]?.messageId) }).toEqual({
      firstDelivery: [msg(topic, 'unacked')],
      secondDelivery: [msg(topic, 'unacked', { dup: true })],
      sameId: [true]
    })
    // Acknowledged now: it must not come a third time.
    await again.client.endAsync()
    const third = await connect({ clientId: n.id('dev'), clean: false })
    expect(await third.inbox.settle(0)).toEqual([])
  })

  spec('takeover', 'takeover: a second CONNECT with the same client id closes the first connection and takes over its session [MQTT-3.1.4-2]', async () => {
    const n = caseNames()
    const topic = n.topic('cmd')
    const first = await connect({ clientId: n.id('dev'), clean: false })
    await first.client.subscribeAsync(topic, { qos: 1 })
    const second = await connect({ clientId: n.id('dev'), clean: false })
    await within(first.closed, 2_000, 'first connection closed by the broker')
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(topic, 'after-takeover', { qos: 1 })
    expect({ connack: connackOf(second.connack), second: await second.inbox.settle(1), first: await first.inbox.settle(0) })
      .toEqual({ connack: accepted(true), second: [msg(topic, 'after-takeover')], first: [] })
  })

  spec('restart', 'restart: retained messages, persistent subscriptions and queued QoS 1 messages survive a broker restart (issue 4, item 3)', async (t) => {
    const { restart } = broker()
    if (restart === undefined) return t.skip('this broker under test cannot be restarted')
    const n = caseNames()
    const [queued, kept] = [n.topic('cmd'), n.topic('status')]
    const sub = await connect({ clientId: n.id('sub'), clean: false })
    await sub.client.subscribeAsync(queued, { qos: 1 })
    await sub.client.endAsync()
    const pub = await connect({ clientId: n.id('pub') })
    await pub.client.publishAsync(kept, 'online', { qos: 1, retain: true })
    await pub.client.publishAsync(queued, 'before-restart', { qos: 1 })
    await pub.client.endAsync()
    await restart()
    const back = await connect({ clientId: n.id('sub'), clean: false })
    const pubAgain = await connect({ clientId: n.id('pub') })
    await pubAgain.client.publishAsync(queued, 'after-restart', { qos: 1 })
    const late = await connect({ clientId: n.id('late') })
    await late.client.subscribeAsync(kept, { qos: 1 })
    expect({ connack: connackOf(back.connack), resumed: await back.inbox.settle(2), retained: await late.inbox.settle(1) }).toEqual({
      connack: accepted(true),
      resumed: [msg(queued, 'before-restart'), msg(queued, 'after-restart')],
      retained: [msg(kept, 'online', { retain: true })]
    })
  }, 30_000)
}
