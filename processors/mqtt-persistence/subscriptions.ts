import type { Queryable } from '../db/db.js'

/** A subscription as aedes stores it: MQTT 3.1.1 uses topic and qos, MQTT 5 adds the options. */
export interface StoredSubscription {
  topic: string
  qos: number
  /** MQTT 5 retain handling, retain as published, no local, subscription identifier. */
  rh?: number
  rap?: boolean
  nl?: boolean
  subscriptionIdentifier?: number
}

const UPSERT = `INSERT INTO mqtt_subscriptions (client_id, topic, qos, options)
  SELECT $1, s.topic, s.qos, s.options FROM jsonb_to_recordset($2::jsonb) AS s(topic text, qos smallint, options jsonb)
  ON CONFLICT (client_id, topic) DO UPDATE SET qos = EXCLUDED.qos, options = EXCLUDED.options`
const REMOVE = 'DELETE FROM mqtt_subscriptions WHERE client_id = $1 AND topic = ANY($2::text[])'
const CLEAN = 'DELETE FROM mqtt_subscriptions WHERE client_id = $1'
const LOAD = 'SELECT client_id, topic, qos, options FROM mqtt_subscriptions ORDER BY client_id, topic'

/**
 * Upserts a SUBSCRIBE's subscriptions in one statement. A topic named twice keeps its last
 * entry, as aedes's in-memory store does (and PostgreSQL refuses to upsert one row twice).
 */
export async function saveSubscriptions(db: Queryable, clientId: string, subs: readonly StoredSubscription[]): Promise<void> {
  const byTopic = new Map(subs.map((s) => [s.topic, s]))
  if (byTopic.size === 0) return
  const rows = [...byTopic.values()].map(({ topic, qos, rh, rap, nl, subscriptionIdentifier }) =>
    ({ topic, qos, options: { rh, rap, nl, subscriptionIdentifier } }))
  await db.query(UPSERT, [clientId, JSON.stringify(rows)])
}

export async function removeSubscriptions(db: Queryable, clientId: string, topics: readonly string[]): Promise<void> {
  if (topics.length > 0) await db.query(REMOVE, [clientId, topics])
}

export async function cleanSubscriptions(db: Queryable, clientId: string): Promise<void> {
  await db.query(CLEAN, [clientId])
}

/** Every stored subscription, grouped by client. */
export async function loadSubscriptions(db: Queryable): Promise<Map<string, StoredSubscription[]>> {
  const { rows } = await db.query<{ client_id: string; topic: string; qos: number; options: object }>(LOAD)
  const byClient = new Map<string, StoredSubscription[]>()
  for (const { client_id: clientId, topic, qos, options } of rows) {
    const list = byClient.get(clientId) ?? []
    list.push({ topic, qos, ...options })
    byClient.set(clientId, list)
  }
  return byClient
}
