import { Readable } from 'node:stream'
import type { DbPersistence } from '../../processors/mqtt-persistence/db-persistence.js'
import type { AnyPacket } from '../../processors/mqtt-persistence/packet-codec.js'
import type { StoredSubscription } from '../../processors/mqtt-persistence/subscriptions.js'

/** The persistence methods aedes 1.2 calls (every `persistence.…` in aedes.js and lib/). */
type AedesCalls = 'setup' | 'storeRetained' | 'createRetainedStreamCombi'
  | 'addSubscriptions' | 'removeSubscriptions' | 'cleanSubscriptions' | 'subscriptionsByClient' | 'subscriptionsByTopic'
  | 'outgoingEnqueue' | 'outgoingEnqueueCombi' | 'outgoingUpdate' | 'outgoingClearMessageId' | 'outgoingStream'
  | 'incomingStorePacket' | 'incomingGetPacket' | 'incomingDelPacket' | 'cleanIncoming'
  | 'putWill' | 'delWill' | 'streamWill'

/** What the broker needs of its persistence: the aedes-facing methods of DbPersistence. */
export type BrokerPersistence = Pick<DbPersistence, AedesCalls>
type P = BrokerPersistence

interface Client { id: string }

/**
 * The subscription that records a persistent session. `$` topics are the server's own
 * [MQTT-4.7.2]: `#` and `+` never match it, and at QoS 0 it is not in the offline routing
 * (aedes-persistence indexes QoS > 0 only), so it routes nothing. It lives with the client's
 * subscriptions: it survives a restart and goes with them when a clean session discards them.
 */
export const SESSION_MARKER = '$pulsegate/session'

export const isSessionMarker = (sub: { topic: string }): boolean => sub.topic === SESSION_MARKER

/**
 * The persistence as aedes sees it: DbPersistence, and two MQTT 3.1.1 rules aedes leaves to
 * nobody (see withConformanceFixes). DbPersistence itself stays the plain aedes persistence
 * that aedes-persistence's abstract suite checks.
 *
 * Session present [MQTT-3.2.2-2]: a session exists "even if the rest of the Session state is
 * empty" (§3.1.2.4), but aedes sets session present only when `subscriptionsByClient` returns
 * subscriptions (lib/handlers/connect.js restoreSubs). So a persistent session is recorded as a
 * SESSION_MARKER subscription at its first CONNECT, and every later CONNECT finds it there.
 * aedes restores it through `authorizeSubscribe`, which refuses it (hideSessionMarker).
 *
 * DUP on redelivery [MQTT-3.3.1-1]: aedes replays the queue as stored, with dup=0
 * (moscajs/aedes#601). A queued PUBLISH with a packet id was sent before: aedes gives it one,
 * through `outgoingUpdate`, just before writing it. The replay marks those dup=1.
 */
export class ConformantPersistence implements BrokerPersistence {
  readonly #inner: P

  constructor(inner: P) {
    this.#inner = inner
  }

  // aedes refuses a persistence whose `setup` is not an `async` function (aedes.js listen).
  async setup(broker: Parameters<P['setup']>[0]): Promise<void> { await this.#inner.setup(broker) }

  /**
   * aedes calls this at every CONNECT with clean=0, and only then (connect.js fetchSubs): the
   * session begins at the first one, and is recorded before the CONNACK goes out.
   */
  async subscriptionsByClient(client: Client): ReturnType<P['subscriptionsByClient']> {
    const subs = await this.#inner.subscriptionsByClient(client)
    // A fresh list each time: DbPersistence shares one statement between calls with the same list.
    if (!subs.some(isSessionMarker)) await this.#inner.addSubscriptions(client, [{ topic: SESSION_MARKER, qos: 0 }])
    return subs
  }

  /**
   * A client's SUBSCRIBE or UNSUBSCRIBE never touches the marker: aedes stores a SUBSCRIBE's
   * whole list, refused entries too (handlers/subscribe.js storeSubscriptions). The list is
   * passed on as it is otherwise: DbPersistence recognises aedes's repeated calls by it.
   */
  addSubscriptions(client: Client, subs: StoredSubscription[]): Promise<void> {
    return this.#inner.addSubscriptions(client, subs.some(isSessionMarker) ? subs.filter((s) => !isSessionMarker(s)) : subs)
  }

  removeSubscriptions(client: Client, topics: string[]): Promise<void> {
    return this.#inner.removeSubscriptions(client, topics.filter((t) => t !== SESSION_MARKER))
  }

  outgoingStream(client: Client): Readable { return Readable.from(markRedeliveries(this.#inner.outgoingStream(client))) }

  /**
   * A retained message stays in memory (DbPersistence's index) for as long as its topic keeps
   * it, so it is stored with a payload of its own: a small Buffer is often a view of a larger
   * one (`Buffer.from(string)` slices Node's 8 KiB pool), and a retained view keeps that whole
   * allocation alive. Measured with heap snapshots: the status each device's presence publishes
   * pinned 5.2 KiB of pool slabs per device (bench/connections.ts).
   */
  storeRetained(packet: AnyPacket): Promise<void> { return this.#inner.storeRetained(withOwnPayload(packet)) }
  createRetainedStreamCombi(patterns: string[]): Readable { return this.#inner.createRetainedStreamCombi(patterns) }
  cleanSubscriptions(client: Client): Promise<void> { return this.#inner.cleanSubscriptions(client) }
  subscriptionsByTopic(topic: string): ReturnType<P['subscriptionsByTopic']> { return this.#inner.subscriptionsByTopic(topic) }
  outgoingEnqueue(sub: { clientId: string }, packet: AnyPacket): Promise<void> { return this.#inner.outgoingEnqueue(sub, packet) }
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: AnyPacket): Promise<void> { return this.#inner.outgoingEnqueueCombi(subs, packet) }
  outgoingUpdate(client: Client, packet: AnyPacket): Promise<void> { return this.#inner.outgoingUpdate(client, packet) }
  outgoingClearMessageId(client: Client, packet: AnyPacket): Promise<AnyPacket | undefined> { return this.#inner.outgoingClearMessageId(client, packet) }
  incomingStorePacket(client: Client, packet: AnyPacket): Promise<void> { return this.#inner.incomingStorePacket(client, packet) }
  incomingGetPacket(client: Client, packet: AnyPacket): ReturnType<P['incomingGetPacket']> { return this.#inner.incomingGetPacket(client, packet) }
  incomingDelPacket(client: Client, packet: AnyPacket): ReturnType<P['incomingDelPacket']> { return this.#inner.incomingDelPacket(client, packet) }
  cleanIncoming(client: Client): Promise<void> { return this.#inner.cleanIncoming(client) }
  putWill(client: Client, will: AnyPacket): Promise<void> { return this.#inner.putWill(client, will) }
  delWill(client: Client): Promise<AnyPacket | undefined> { return this.#inner.delWill(client) }
  streamWill(brokers?: Record<string, unknown>): Readable { return this.#inner.streamWill(brokers) }
}

/** The packet, or a copy of it whose payload no longer shares a larger allocation. */
function withOwnPayload(packet: AnyPacket): AnyPacket {
  const { payload } = packet
  if (!(payload instanceof Uint8Array) || payload.byteLength === payload.buffer.byteLength) return packet
  const own = Buffer.allocUnsafeSlow(payload.byteLength)
  own.set(payload)
  return { ...packet, payload: own }
}

async function * markRedeliveries(queued: AsyncIterable<AnyPacket>): AsyncGenerator<AnyPacket> {
  for await (const packet of queued) {
    yield packet.cmd === 'publish' && typeof packet.messageId === 'number' ? { ...packet, dup: true } : packet
  }
}
