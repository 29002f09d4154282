import { createHash, randomBytes } from 'node:crypto'
import type { Db, Queryable } from '../db/db.js'
import { audit } from './audit.js'

/** Write keys send events of one app; read keys query; the admin key manages (SPEC §4). */
export type KeyKind = 'write' | 'read' | 'admin'
export const KEY_KINDS: readonly KeyKind[] = ['write', 'read', 'admin']

export interface ApiKey {
  id: string
  kind: KeyKind
  /** The app a write key sends as; a read key limited to one app; null for admin and all-app read keys. */
  appId: string | null
  name: string
  /** The secret's first characters, to tell keys apart in a listing. */
  prefix: string
  createdAt: string
  revokedAt: string | null
}

export interface CreatedKey extends ApiKey {
  /** Shown once: only its digest is stored. */
  secret: string
}

const PREFIX = { write: 'pgw_', read: 'pgr_', admin: 'pga_' } as const satisfies Record<KeyKind, string>

/** 192 random bits; prefixed by kind so secret scanners and humans recognise it. */
export function newSecret(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(24).toString('base64url')
}

/**
 * Keys are high-entropy random strings, so one SHA-256 is enough (a slow password hash would
 * only make every request slower; SPEC §3 makes the same choice for device secrets).
 */
export const digestOf = (secret: string): string => createHash('sha256').update(secret).digest('hex')

interface KeyRow { id: string; kind: KeyKind; app_id: string | null; name: string; prefix: string; created_at: Date; revoked_at: Date | null }
const COLUMNS = 'id, kind, app_id, name, prefix, created_at, revoked_at'

export function keyOfRow(r: KeyRow): ApiKey {
  return {
    id: r.id, kind: r.kind, appId: r.app_id, name: r.name, prefix: r.prefix,
    createdAt: new Date(r.created_at).toISOString(), revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString()
  }
}

export interface NewKey { kind: KeyKind; appId?: string | null; name?: string }

/** Inserts a key and its audit record in one transaction; returns it with its secret. */
export async function insertKey(db: Db, input: NewKey, actor: string): Promise<CreatedKey> {
  const secret = newSecret(input.kind)
  const id = 'key_' + randomBytes(9).toString('base64url')
  const key = await db.transaction(async (tx) => {
    const { rows } = await tx.query<KeyRow>(
      `INSERT INTO api_keys (id, kind, app_id, name, digest, prefix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [id, input.kind, input.appId ?? null, input.name ?? '', digestOf(secret), secret.slice(0, 8)])
    await audit(tx, { actor, action: 'key.create', target: id, details: { kind: input.kind, app_id: input.appId ?? null, name: input.name ?? '' } })
    return keyOfRow(rows[0] as KeyRow)
  })
  return { ...key, secret }
}

export async function listKeys(db: Queryable): Promise<ApiKey[]> {
  const { rows } = await db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`)
  return rows.map(keyOfRow)
}

/** Revokes a key (kept, for the audit trail); null when there is no such key. */
export async function revokeKey(db: Db, id: string, actor: string): Promise<ApiKey | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id])
    if (rows[0] === undefined) return null
    await audit(tx, { actor, action: 'key.revoke', target: id })
    return keyOfRow(rows[0])
  })
}

export async function findKeyByDigest(db: Queryable, digest: string): Promise<ApiKey | null> {
  const { rows } = await db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE digest = $1`, [digest])
  return rows[0] === undefined ? null : keyOfRow(rows[0])
}

export async function hasAdminKey(db: Queryable): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL LIMIT 1")
  return rows.length > 0
}
