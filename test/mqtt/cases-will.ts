/**
 * Keepalive and Last Will: how a broker notices a device that is gone and tells the others.
 * Presence (SPEC §6) is built on these; a late or missing Will is a device shown online
 * after a power cut.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'
import { caseNames, msg, within } from './clients.js'
import type { CaseContext } from './context.js'
import { rawConnect } from './raw-client.js'

/** Keepalive of the hung device; the broker must close it after 1.5 × this. */
const KEEPALIVE_S = 2
/** Scheduling slack on top of 1.5 × keepalive; a broker that checks once per scan interval overshoots it. */
const KEEPALIVE_TOLERANCE_MS = 500
/** How long the case waits for the close at all: long enough to measure a late one, not only to flag it. */
const CLOSE_WAIT_MS = KEEPALIVE_S * 1500 + 8_000

export function willCases({ spec, connect, broker }: CaseContext): void {
  spec('keepalive', `keepalive: a device silent for 1.5 × its keepalive (${KEEPALIVE_S} s) is disconnected and its Will published; while it pings it stays connected [MQTT-3.1.2-24, MQTT-3.1.2-8]`, async () => {
    const n = caseNames()
    const status = n.topic('status')
    const watcher = await connect({ clientId: n.id('watch') })
    await watcher.client.subscribeAsync(status, { qos: 1 })
    const will = { topic: status, payload: Buffer.from('lost'), qos: 1 as const, retain: false }
    const { raw, connack } = await rawConnect(broker().url, { clientId: n.id('hung'), clean: true, keepalive: KEEPALIVE_S, will })
    // Alive for 2 × keepalive while it pings every half keepalive (longer than 1.5 × keepalive)…
    const pings = 4
    for (let i = 0; i < pings; i++) {
      await sleep(KEEPALIVE_S * 500)
      raw.send({ cmd: 'pingreq' })
    }
    const silentFrom = Date.now()
    // …then the firmware hangs: nothing more is sent, and the socket stays open on our side.
    const closedAt = await within(raw.closed, CLOSE_WAIT_MS, 'broker closing the silent connection')
    expect({
      connack: { returnCode: connack.returnCode, sessionPresent: connack.sessionPresent },
      pingresps: raw.received.filter((p) => p.cmd === 'pingresp').length,
      will: await watcher.inbox.settle(1)
    }).toEqual({ connack: { returnCode: 0, sessionPresent: false }, pingresps: pings, will: [msg(status, 'lost')] })
    // Not before the device has been silent for a whole keepalive, and not later than 1.5 × + slack.
    expect(closedAt - silentFrom).toBeGreaterThanOrEqual(KEEPALIVE_S * 1000)
    expect(closedAt - silentFrom).toBeLessThanOrEqual(KEEPALIVE_S * 1500 + KEEPALIVE_TOLERANCE_MS)
  }, CLOSE_WAIT_MS + 10_000)

  spec('will-on-loss', 'Last Will: published with its QoS and retain flag when the connection is lost without DISCONNECT [MQTT-3.1.2-8, MQTT-3.1.2-16, MQTT-3.1.2-17]', async () => {
    const n = caseNames()
    const status = n.topic('status')
    const watcher = await connect({ clientId: n.id('watch') })
    await watcher.client.subscribeAsync(status, { qos: 1 })
    const device = await connect({ clientId: n.id('dev'), will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true } })
    device.cut()
    const live = await watcher.inbox.settle(1)
    const late = await connect({ clientId: n.id('late') })
    await late.client.subscribeAsync(status, { qos: 1 })
    // A live subscriber sees retain=0 [MQTT-3.3.1-9]; the retain flag shows to a later subscriber.
    expect({ live, late: await late.inbox.settle(1) })
      .toEqual({ live: [msg(status, 'offline')], late: [msg(status, 'offline', { retain: true })] })
  })

  spec('no-will-on-disconnect', 'Last Will: not published when the device sends DISCONNECT [MQTT-3.1.2-10, MQTT-3.14.4-3]', async () => {
    const n = caseNames()
    const status = n.topic('status')
    const watcher = await connect({ clientId: n.id('watch') })
    await watcher.client.subscribeAsync(status, { qos: 1 })
    const device = await connect({ clientId: n.id('dev'), will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true } })
    await device.client.endAsync()
    await within(device.closed, 2_000, 'device closing')
    // Positive control: the watcher does receive what is published on the topic afterwards.
    const other = await connect({ clientId: n.id('other') })
    await other.client.publishAsync(status, 'marker', { qos: 1 })
    const late = await connect({ clientId: n.id('late') })
    await late.client.subscribeAsync(status, { qos: 1 })
    expect({ live: await watcher.inbox.settle(1), retained: await late.inbox.settle(0) })
      .toEqual({ live: [msg(status, 'marker')], retained: [] })
  })

  // Taken over, the old connection is closed by the server without a DISCONNECT from the
  // device, so [MQTT-3.1.2-8] applies. A device that reconnects after a half-open link then
  // sees its own Will: it must publish its status after CONNACK, not before.
  spec('will-on-takeover', 'Last Will: published when a second CONNECT with the same client id takes over the connection [MQTT-3.1.4-2, MQTT-3.1.2-8]', async () => {
    const n = caseNames()
    const status = n.topic('status')
    const watcher = await connect({ clientId: n.id('watch') })
    await watcher.client.subscribeAsync(status, { qos: 1 })
    const first = await connect({ clientId: n.id('dev'), will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: false } })
    await connect({ clientId: n.id('dev') })
    await within(first.closed, 2_000, 'first connection closed by the broker')
    expect(await watcher.inbox.settle(1)).toEqual([msg(status, 'offline')])
  })
}
