import { randomBytes } from 'node:crypto'
import type { Queryable } from '../db/db.js'

/**
 * A secret the gateway generates once and keeps in the store, so restarts and replicas share
 * it (the privacy HMAC key: a new key would split every hashed user into two). Two replicas
 * starting together both insert; the first wins and both read the winner.
 */
export async function storedSecret(db: Queryable, name: string): Promise<string> {
  await db.query('INSERT INTO gateway_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(32).toString('base64url')])
  const { rows } = await db.query<{ value: string }>('SELECT value FROM gateway_secrets WHERE name = $1', [name])
  return (rows[0] as { value: string }).value
}
