import { Readable } from 'node:stream'
import type { Db, Queryable } from '../db/db.js'
import { ClientMarks } from './client-marks.js'
import * as incoming from './incoming.js'
import { KeyedSerial } from './keyed-serial.js'
import * as outgoing from './outgoing.js'
import type { AnyPacket } from './packet-codec.js'
import { RoutingIndex } from './routing-index.js'
import type { StoredSubscription } from './subscriptions.js'
import * as wills from './wills.js'
import { closedError, WorkTracker } from './work-tracker.js'

export interface DbPersistenceOptions {
  /** The event store's database; the persistence uses it and never closes it. */
  db: Db
  /** Queued packets read per statement when a client's offline queue is replayed. */
  outgoingPageSize?: number
}

interface Client { id: string }
interface Broker { id: string }

/**
 * An aedes persistence (the async interface aedes 1.x calls) on the event store's database,
 * so retained messages, persistent sessions, inbound QoS 2 state and Last Wills survive a
 * restart. One broker per database: replicas share a Redis persistence instead (SPEC §1).
 * Matching (subscriptions, retained patterns) is in memory: see RoutingIndex.
 *
 * What is durable when: every method resolves only after its statement has committed, and
 * aedes moves on only then. A retained message is durable when `storeRetained` resolves and a
 * message for persistent subscribers when `outgoingEnqueueCombi` does: both before the callback
 * of `broker.publish(packet, cb)` fires (the way the gateway publishes commands). A client's
 * QoS 1 PUBLISH is different: aedes writes the PUBACK first and routes afterwards
 * (aedes lib/handlers/publish.js), so at the PUBACK only what the `authorizePublish` hook
 * committed is durable (SPEC §3). A QoS 2 PUBLISH is stored and routed before its PUBREC, a
 * SUBSCRIBE stored before its SUBACK, a Will before the CONNACK.
 */
export class DbPersistence {
  readonly #db: Db
  readonly #pageSize: number
  readonly #index: RoutingIndex
  readonly #serial = new KeyedSerial()
  readonly #queued = new ClientMarks()
  readonly #incoming = new ClientMarks()
  readonly #wills = new ClientMarks()
  readonly #work = new WorkTracker()
  /** The streams' statements, tracked and refused after `destroy` like the methods. */
  readonly #tracked: Queryable = { query: (sql, params) => this.#op(() => this.#db.query(sql, params)) }
  #broker: Broker | undefined
  #closing: Promise<void> | undefined

  constructor(opts: DbPersistenceOptions) {
    this.#db = opts.db
    this.#pageSize = opts.outgoingPageSize ?? 256
    this.#index = new RoutingIndex(opts.db)
  }

  get broker(): Broker | undefined { return this.#broker }

  /** Called by aedes when the broker starts (aedes checks that it is an `async` function). */
  async setup(broker: Broker): Promise<void> {
    this.#broker = broker
    await this.#index.load(broker)
    await this.#queued.load(this.#db, 'SELECT DISTINCT client_id FROM mqtt_outgoing')
    await this.#incoming.load(this.#db, 'SELECT DISTINCT client_id FROM mqtt_incoming')
    await this.#wills.load(this.#db, 'SELECT client_id FROM mqtt_wills')
  }

  storeRetained(packet: AnyPacket): Promise<void> { return this.#op(() => this.#index.storeRetained(packet)) }
  createRetainedStreamCombi(patterns: string[]): Readable { return this.#work.closed ? refused() : this.#index.retained(patterns) }
  createRetainedStream(pattern: string): Readable { return this.createRetainedStreamCombi([pattern]) }

  addSubscriptions(client: Client, subs: StoredSubscription[]): Promise<void> { return this.#op(() => this.#index.addSubscriptions(client, subs)) }
  removeSubscriptions(client: Client, topics: string[]): Promise<void> { return this.#op(() => this.#index.removeSubscriptions(client, topics)) }
  cleanSubscriptions(client: Client): Promise<void> { return this.#op(() => this.#index.cleanSubscriptions(client)) }
  // Reads of the in-memory index: no statement, and still answered after `destroy` (aedes
  // turns a failed routing lookup into an 'error' event on the broker).
  subscriptionsByClient(client: Client) { return this.#index.subscriptionsByClient(client) }
  subscriptionsByTopic(topic: string) { return this.#index.subscriptionsByTopic(topic) }
  countOffline() { return this.#index.countOffline() }
  getClientList(topic: string): Readable { return this.#work.closed ? refused() : this.#index.clientList(topic) }

  outgoingEnqueue(sub: { clientId: string }, packet: AnyPacket): Promise<void> { return this.outgoingEnqueueCombi([sub], packet) }
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: AnyPacket): Promise<void> {
    const clientIds = subs.map((s) => s.clientId)
    if (clientIds.length === 0) return Promise.resolve()
    const mark = (): void => { for (const id of clientIds) this.#queued.mark(id) }
    // Marked again once committed: a replay that looked before the commit may have unmarked.
    mark()
    return this.#op(async () => {
      await outgoing.enqueue(this.#db, clientIds, packet)
      mark()
    })
  }

  outgoingUpdate(client: Client, packet: AnyPacket): Promise<void> { return this.#op(() => outgoing.update(this.#db, client.id, packet)) }
  outgoingClearMessageId(client: Client, packet: AnyPacket): Promise<AnyPacket | undefined> {
    return this.#op(() => outgoing.clear(this.#db, client.id, packet))
  }

  /** aedes replays the queue on every CONNECT, clean or not: a client with nothing queued costs no statement. */
  outgoingStream(client: Client): Readable {
    const token = this.#queued.look(client.id)
    return Readable.from(token === undefined ? [] : this.#replay(client.id, token))
  }

  incomingStorePacket(client: Client, packet: AnyPacket): Promise<void> {
    this.#incoming.mark(client.id)
    return this.#inOrder(`incoming:${client.id}`, () => incoming.storeIncoming(this.#db, client.id, packet))
  }

  incomingGetPacket(client: Client, packet: AnyPacket) { return this.#op(() => incoming.getIncoming(this.#db, client.id, packet)) }
  incomingDelPacket(client: Client, packet: AnyPacket) { return this.#op(() => incoming.deleteIncoming(this.#db, client.id, packet)) }
  /** aedes calls it on every clean-session CONNECT and disconnect. */
  cleanIncoming(client: Client): Promise<void> {
    return this.#inOrder(`incoming:${client.id}`, async () => {
      const token = this.#incoming.look(client.id)
      if (token === undefined) return
      await incoming.cleanIncoming(this.#db, client.id)
      this.#incoming.unmark(client.id, token)
    })
  }

  putWill(client: Client, will: AnyPacket): Promise<void> {
    const brokerId = this.#broker?.id ?? ''
    this.#wills.mark(client.id)
    return this.#inOrder(`will:${client.id}`, () => wills.putWill(this.#db, brokerId, client.id, will))
  }

  getWill(client: Client) { return this.#op(() => wills.getWill(this.#db, client.id)) }
  /** aedes calls it on every CONNECT, before storing the new Will. */
  delWill(client: Client): Promise<AnyPacket | undefined> {
    return this.#inOrder(`will:${client.id}`, async () => {
      const token = this.#wills.look(client.id)
      if (token === undefined) return undefined
      const will = await wills.deleteWill(this.#db, client.id)
      this.#wills.unmark(client.id, token)
      return will
    })
  }

  /** Wills of brokers not in `brokers` (aedes passes the ones it heard from lately). */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from(streamOf(() => wills.willsOfOtherBrokers(this.#tracked, Object.keys(brokers))))
  }

  /**
   * Lets the work under way finish — including what it starts in turn (aedes stores a retained
   * message, then queues the packet) — then refuses new work. Call it after `broker.close()`,
   * before closing the database, which it leaves open.
   */
  destroy(): Promise<void> {
    return (this.#closing ??= this.#drain())
  }

  async #drain(): Promise<void> {
    await this.#work.drain()
    await this.#index.destroy()
  }

  async * #replay(clientId: string, token: number): AsyncGenerator<AnyPacket> {
    let empty = true
    for await (const packet of outgoing.stream(this.#tracked, clientId, this.#pageSize)) {
      empty = false
      yield packet
    }
    if (empty) this.#queued.unmark(clientId, token)
  }

  /** Writes whose order matters to the marks: one at a time per key (see KeyedSerial). */
  #inOrder<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.#op(() => this.#serial.run(key, work))
  }

  #op<T>(work: () => Promise<T>): Promise<T> { return this.#work.run(work) }
}

async function * streamOf<T>(load: () => Promise<T[]>): AsyncGenerator<T> {
  yield * await load()
}

function refused(): Readable {
  return new Readable({ objectMode: true, read() { this.destroy(closedError()) } })
}
