import type { AedesOptions, Client } from 'aedes'
import type { QoS } from 'mqtt-packet'
import { topicMatches } from '../../processors/access/topic-filter.js'
import { ConformantPersistence, isSessionMarker, type BrokerPersistence } from './conformant-persistence.js'

type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>
type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>
type PreConnect = NonNullable<AedesOptions['preConnect']>

/**
 * Closes the gaps between aedes 1.2 and MQTT 3.1.1 that devices can see (issue 4, item 10),
 * through what aedes lets a broker supply — its persistence and its `authorizeSubscribe` and
 * `authorizeForward` hooks — rather than a fork. test/mqtt/ checks each one against mosquitto;
 * when aedes closes one itself, its fix here can go and the case stays green.
 *
 * - CONNACK session present for a persistent session without subscriptions [MQTT-3.2.2-2],
 *   and DUP=1 on a PUBLISH sent again when a session resumes [MQTT-3.3.1-1]: ConformantPersistence.
 * - The QoS of a delivery capped by a wildcard subscription's granted QoS [MQTT-3.8.4-6]: capToGrantedQoS.
 * - No message lost when the store commits publishes out of order: orderFreeDedupe.
 *
 * Apply it to the finished options: it wraps the hooks they hold, and the session marker must
 * reach no other `authorizeSubscribe` (an ACL would count it as a refusal).
 */
export function withConformanceFixes(opts: Omit<AedesOptions, 'persistence'> & { persistence?: BrokerPersistence }): AedesOptions {
  if (opts.persistence === undefined) throw new TypeError('withConformanceFixes: the options name no persistence to wrap')
  return {
    ...opts,
    persistence: new ConformantPersistence(opts.persistence),
    authorizeSubscribe: hideSessionMarker(opts.authorizeSubscribe),
    ...orderFreeDedupe(opts.preConnect, capToGrantedQoS(opts.authorizeForward))
  }
}

/** Reads as "never seen" and remembers nothing: aedes's own dedupe, switched off. */
const NOTHING_SEEN: Record<string, number> = new Proxy(Object.create(null) as Record<string, number>, {
  get: () => 0, set: () => true, deleteProperty: () => true
})
const REMEMBERED_PER_CLIENT = 1024

/**
 * aedes delivers a message to a client only if its broker counter is higher than the last one
 * it delivered to that client (lib/client.js `dedupe`): it assumes messages reach subscribers
 * in the order they were published. Our persistence commits `storeRetained` and
 * `outgoingEnqueueCombi` over several PostgreSQL connections, which finish in any order, so a
 * retained status stored a little later than the next one was silently dropped for every
 * subscriber (a third of them under load). Here the counter check is switched off and replaced
 * by what it is for — one copy of one message per client, even through overlapping
 * subscriptions or a queue replay racing a live delivery — by remembering the last
 * `REMEMBERED_PER_CLIENT` messages each connection was given.
 */
function orderFreeDedupe(preConnect: PreConnect | undefined, inner: AuthorizeForward): Pick<AedesOptions, 'preConnect' | 'authorizeForward'> {
  const given = new WeakMap<Client, Set<string>>()
  return {
    preConnect(client, packet, callback) {
      (client as Client & { duplicates: Record<string, number> }).duplicates = NOTHING_SEEN
      if (preConnect === undefined) return callback(null, true)
      preConnect(client, packet, callback)
    },
    authorizeForward(client, packet) {
      const { brokerId, brokerCounter } = packet as typeof packet & { brokerId?: string; brokerCounter?: number }
      if (brokerId !== undefined && brokerCounter !== undefined) {
        const key = `${brokerId}:${brokerCounter}`
        let seen = given.get(client)
        if (seen === undefined) given.set(client, seen = new Set())
        if (seen.has(key)) return null
        seen.add(key)
        if (seen.size > REMEMBERED_PER_CLIENT) seen.delete(seen.values().next().value as string)
      }
      return inner(client, packet)
    }
  }
}

/**
 * aedes restores a resuming session's stored subscriptions through `authorizeSubscribe`;
 * refused (a null subscription), the session marker is dropped there and never subscribed to.
 * A client's own SUBSCRIBE to it is refused too: granted 0x80.
 */
function hideSessionMarker(inner: AuthorizeSubscribe = (_client, sub, done) => done(null, sub)): AuthorizeSubscribe {
  return (client, sub, done) => {
    if (isSessionMarker(sub)) return done(null, null)
    inner(client, sub, done)
  }
}

/**
 * A message goes out at the lower of its QoS and the QoS granted to the subscription
 * [MQTT-3.8.4-6]. aedes caps it only through a subscription whose filter is the topic itself
 * (lib/client.js deliverQoS reads `subscriptions[packet.topic]`), so a QoS 2 message reaches a
 * QoS 1 `+` subscriber at QoS 2 (moscajs/aedes#208). aedes sends what this hook returns
 * (client.js getToForwardPacket), so the cap goes here: at the highest QoS granted on a filter
 * matching the topic, which with overlapping subscriptions is the copy [MQTT-3.3.5-1] asks for.
 * Through a QoS 0 subscription aedes delivers with deliver0, at QoS 0 already.
 */
function capToGrantedQoS(inner: AuthorizeForward = (_client, packet) => packet): AuthorizeForward {
  return (client, packet) => {
    const forwarded = inner(client, packet)
    if (forwarded === null || forwarded === undefined || forwarded.qos === 0) return forwarded
    const granted = grantedQoS(client, forwarded.topic)
    return granted === undefined || granted >= forwarded.qos ? forwarded : { ...forwarded, qos: granted }
  }
}

/**
 * aedes's table of a connection's subscriptions, filter → granted QoS (lib/client.js, kept by
 * handlers/subscribe.js and unsubscribe.js): the table its own cap reads; not in its typings.
 */
interface Subscribed { subscriptions?: Readonly<Record<string, { qos: QoS }>> }

/** The highest QoS granted to the client on a filter matching `topic`; undefined when none does. */
function grantedQoS(client: Client, topic: string): QoS | undefined {
  let granted: QoS | undefined
  for (const [filter, { qos }] of Object.entries((client as Client & Subscribed).subscriptions ?? {})) {
    if ((granted === undefined || qos > granted) && topicMatches(filter, topic)) granted = qos
  }
  return granted
}
