import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type IPublishPacket } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { fixtureDir } from '../../support/helpers.js'
import { startBroker } from './broker-harness.js'

const opts = (clientId: string, clean = true): IClientOptions => ({ clientId, clean, reconnectPeriod: 0 })
const shape = (p: IPublishPacket) => ({ topic: p.topic, payload: p.payload.toString(), retain: p.retain })

interface BrokerProcess { child: ChildProcess; url: string; output(): string }

/** Starts broker-process.ts on `dataDir` and resolves once it prints its URL. */
async function brokerProcess(dataDir: string): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'broker-process.ts'), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const line = /^(mqtt:\S+)\n/m.exec(output)
      if (line?.[1] !== undefined) resolve(line[1])
    })
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('exit', (code) => reject(new Error(`broker process exited with ${code}: ${output}`)))
  })
  return { child, url, output: () => output }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

/** The first `count` messages a new subscriber to `filter` receives, sorted by topic. */
async function retainedFor(url: string, filter: string, count: number): Promise<Array<ReturnType<typeof shape>>> {
  const client = await mqtt.connectAsync(url, opts('retained-reader'))
  const got: IPublishPacket[] = []
  const all = new Promise<void>((resolve) => client.on('message', (_t, _p, packet) => { if (got.push(packet) === count) resolve() }))
  await client.subscribeAsync(filter, { qos: 1 })
  await all
  await client.endAsync()
  return got.map(shape).sort((a, b) => a.topic.localeCompare(b.topic))
}

describe('a broker on the database persistence, killed with SIGKILL', () => {
  const dir = fixtureDir('pulsegate-mqtt-crash-')
  let proc: BrokerProcess | undefined
  afterAll(() => {
    proc?.child.kill('SIGKILL')
    dir.remove()
  })

  it('keeps what it had routed, and publishes the Wills of the clients it held', async () => {
    proc = await brokerProcess(dir.dir)
    const { child, url, output } = proc
    const console1 = await mqtt.connectAsync(url, opts('console-1', false))
    await console1.subscribeAsync('devices/+/commands', { qos: 1 })
    await console1.endAsync()
    const device = await mqtt.connectAsync(url, { ...opts('d7'), will: { topic: 'devices/d7/status', payload: Buffer.from('offline'), qos: 1, retain: true } })
    device.on('error', () => {})
    const tool = await mqtt.connectAsync(url, opts('tool'))
    tool.on('error', () => {})
    await tool.publishAsync('devices/d1/status', 'online', { qos: 1, retain: true })
    await tool.publishAsync('devices/d1/commands', 'reboot', { qos: 1 })
    // aedes sends a QoS 1 PUBACK before it routes the message; kill once routing is done.
    await until(() => output().includes('routed devices/d1/commands'))
    child.kill('SIGKILL')
    await once(child, 'exit')
    device.end(true)
    tool.end(true)

    // A 50 ms heartbeat makes aedes sweep for orphaned wills every 200 ms.
    const restarted = await startBroker(dir.dir, { heartbeatInterval: 50 })
    try {
      // The will comes live (retain false) or, if the sweep ran first, as a retained message.
      const viewer = await mqtt.connectAsync(restarted.url, opts('viewer'))
      const will = new Promise<IPublishPacket>((resolve) => viewer.on('message', (topic, _p, packet) => { if (topic === 'devices/d7/status') resolve(packet) }))
      await viewer.subscribeAsync('devices/+/status', { qos: 1 })
      expect((await will).payload.toString()).toBe('offline')
      await viewer.endAsync()
      expect(await retainedFor(restarted.url, 'devices/+/status', 2)).toEqual([
        { topic: 'devices/d1/status', payload: 'online', retain: true },
        { topic: 'devices/d7/status', payload: 'offline', retain: true }
      ])

      const back = mqtt.connect(restarted.url, opts('console-1', false))
      const command = await new Promise<IPublishPacket>((resolve) => back.once('message', (_t, _p, packet) => resolve(packet)))
      expect(shape(command)).toEqual({ topic: 'devices/d1/commands', payload: 'reboot', retain: false })
      await back.endAsync()
    } finally {
      await restarted.stop()
    }
  })
})
