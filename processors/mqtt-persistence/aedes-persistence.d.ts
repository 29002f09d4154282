/**
 * The part of aedes-persistence's in-memory implementation (`asyncPersistence.js`) that the
 * database persistence reuses as its index: the qlobber trie of subscriptions and the
 * retained set. The package's own typings (types/asyncPersistence.d.ts) are not reachable
 * through this path, and pull in aedes's client types we do not need.
 */
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream'

  interface IndexSubscription { topic: string; qos: number; rh?: number; rap?: boolean; nl?: boolean; subscriptionIdentifier?: number }
  interface IndexPacket { topic?: string; payload?: unknown; [field: string]: unknown }

  export default class MemoryPersistence {
    setup(broker: unknown): Promise<void>
    storeRetained(packet: IndexPacket): Promise<void>
    createRetainedStream(pattern: string): Readable
    createRetainedStreamCombi(patterns: string[]): Readable
    addSubscriptions(client: { id: string }, subs: IndexSubscription[]): Promise<void>
    removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>
    subscriptionsByClient(client: { id: string }): Promise<IndexSubscription[]>
    countOffline(): Promise<{ subsCount: number; clientsCount: number }>
    subscriptionsByTopic(topic: string): Promise<Array<IndexSubscription & { clientId: string }>>
    cleanSubscriptions(client: { id: string }): Promise<void>
    getClientList(topic: string): Readable
    destroy(): Promise<void>
  }
}
