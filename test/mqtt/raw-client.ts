/**
 * A bare MQTT 3.1.1 connection over TCP that sends only the packets a case writes: no
 * automatic PINGREQ, PUBACK or reconnect. It plays the device whose firmware hung, which
 * MQTT.js, being a well-behaved client, cannot.
 *
 * mqtt-packet is the codec both MQTT.js and aedes use. It is not a direct dependency: it
 * resolves because npm hoists it for them; list it in devDependencies if that ever changes.
 */
import net from 'node:net'
import { generate, parser, type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet'

export interface RawClient {
  /** Every packet received, in order. */
  received: Packet[]
  send(packet: Packet): void
  /** Resolves with the first received packet of `cmd` (already received or not), rejects after timeoutMs. */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>>
  /** Resolves with Date.now() when the broker (or destroy()) closes the socket. */
  closed: Promise<number>
  destroy(): void
}

const PACKET_TIMEOUT_MS = 3_000

function openSocket(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) })
    socket.once('connect', () => { socket.off('error', reject); resolve(socket) })
    socket.once('error', reject)
  })
}

function wrap(socket: net.Socket): RawClient {
  const received: Packet[] = []
  const waiters = new Set<() => void>()
  const decoder = parser({ protocolVersion: 4 })
  decoder.on('packet', (packet: Packet) => { received.push(packet); for (const wake of waiters) wake() })
  socket.on('data', (chunk: Buffer) => decoder.parse(chunk))
  socket.on('error', () => {}) // a reset by the broker shows as `closed`
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
  const next = <C extends Packet['cmd']>(cmd: C, timeoutMs = PACKET_TIMEOUT_MS): Promise<Extract<Packet, { cmd: C }>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = received.find((p) => p.cmd === cmd)
        if (found === undefined) return
        done()
        resolve(found as Extract<Packet, { cmd: C }>)
      }
      const timer = setTimeout(() => { done(); reject(new Error(`no ${cmd} within ${timeoutMs} ms; got ${received.map((p) => p.cmd).join(', ')}`)) }, timeoutMs)
      const done = (): void => { clearTimeout(timer); waiters.delete(check) }
      waiters.add(check)
      check()
    })
  return { received, send: (packet) => socket.write(generate(packet)), next, closed, destroy: () => socket.destroy() }
}

/** Opens a TCP connection, sends CONNECT (protocol level 4) and waits for the CONNACK. */
export async function rawConnect(url: string, connect: Omit<IConnectPacket, 'cmd' | 'protocolId' | 'protocolVersion'>): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  const raw = wrap(await openSocket(url))
  try {
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, ...connect })
    return { raw, connack: await raw.next('connack') }
  } catch (err) {
    raw.destroy()
    throw err
  }
}
