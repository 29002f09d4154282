import type { Readable } from 'node:stream'
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js'
import type { Db } from '../db/db.js'
import { KeyedSerial } from './keyed-serial.js'
import type { AnyPacket } from './packet-codec.js'
import { loadRetained } from './retained.js'
import { RetainedWriter } from './retained-writer.js'
import * as subscriptions from './subscriptions.js'
import type { StoredSubscription } from './subscriptions.js'

interface Client { id: string }

/**
 * Retained messages and subscriptions: written to their tables, matched in memory.
 *
 * Matching is aedes-persistence's own memory persistence, reused as the index: its qlobber
 * trie routes every QoS > 0 publish to the persistent subscribers without a query, and its
 * retained set answers a SUBSCRIBE's `+`/`#` patterns with aedes's exact matching rules. A SQL
 * translation of the wildcards would have to re-create those rules (`$` topics, `#` matching
 * the parent level, escaping `%` and `_`) and would cost a query per SUBSCRIBE, when a
 * reconnecting fleet subscribes by the thousand; the retained set is small (a status topic per
 * device) and held in memory anyway by the redis and mongodb persistences' caches.
 *
 * `load` fills the index from the tables; each write updates the index after its statement
 * has committed, so the index never shows what a restart would lose. Retained messages are
 * written in batches, one batch at a time (see RetainedWriter); one client's subscriptions are
 * written one change at a time (see KeyedSerial).
 */
export class RoutingIndex {
  readonly #db: Db
  readonly #memory = new MemoryPersistence()
  readonly #serial = new KeyedSerial()
  readonly #adding = new WeakMap<object, Promise<void>>()
  readonly #retained: RetainedWriter

  constructor(db: Db) {
    this.#db = db
    this.#retained = new RetainedWriter(db, (packet) => this.#memory.storeRetained(packet))
  }

  async load(broker: unknown): Promise<void> {
    await this.#memory.setup(broker)
    for (const packet of await loadRetained(this.#db)) await this.#memory.storeRetained(packet)
    for (const [id, subs] of await subscriptions.loadSubscriptions(this.#db)) await this.#memory.addSubscriptions({ id }, subs)
  }

  storeRetained(packet: AnyPacket): Promise<void> { return this.#retained.store(packet) }

  retained(patterns: string[]): Readable { return this.#memory.createRetainedStreamCombi(patterns) }

  /**
   * aedes calls this once per topic of a SUBSCRIBE, each time with the packet's whole list:
   * calls with the same list while one is under way share its one statement.
   */
  addSubscriptions(client: Client, subs: StoredSubscription[]): Promise<void> {
    const running = this.#adding.get(subs)
    if (running !== undefined) return running
    const copies = subs.map((s) => ({ ...s }))
    const adding = this.#ofClient(client, async () => {
      await subscriptions.saveSubscriptions(this.#db, client.id, copies)
      await this.#memory.addSubscriptions(client, copies)
    })
    this.#adding.set(subs, adding)
    const forget = (): void => { this.#adding.delete(subs) }
    adding.then(forget, forget)
    return adding
  }

  removeSubscriptions(client: Client, topics: string[]): Promise<void> {
    const copies = [...topics]
    return this.#ofClient(client, async () => {
      await subscriptions.removeSubscriptions(this.#db, client.id, copies)
      await this.#memory.removeSubscriptions(client, copies)
    })
  }

  /** Runs on every clean-session CONNECT: a client without subscriptions costs no statement. */
  cleanSubscriptions(client: Client): Promise<void> {
    return this.#ofClient(client, async () => {
      if ((await this.#memory.subscriptionsByClient(client)).length === 0) return
      await subscriptions.cleanSubscriptions(this.#db, client.id)
      await this.#memory.cleanSubscriptions(client)
    })
  }

  subscriptionsByClient(client: Client) { return this.#memory.subscriptionsByClient(client) }
  subscriptionsByTopic(topic: string) { return this.#memory.subscriptionsByTopic(topic) }
  countOffline() { return this.#memory.countOffline() }
  clientList(topic: string): Readable { return this.#memory.getClientList(topic) }
  destroy(): Promise<void> { return this.#memory.destroy() }

  #ofClient(client: Client, work: () => Promise<void>): Promise<void> {
    return this.#serial.run(`subscriptions:${client.id}`, work)
  }
}
