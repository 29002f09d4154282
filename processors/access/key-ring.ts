import type { Db } from '../db/db.js'
import { createCredentialCache } from './credential-cache.js'
import { digestOf, findKeyByDigest, hasAdminKey, insertKey, listKeys, revokeKey, type ApiKey, type CreatedKey, type NewKey } from './keys.js'

export interface KeyRingOptions {
  db: Db
  /** `PULSEGATE_ADMIN_KEY`: an admin key held in the environment, never stored. */
  configuredAdminKey?: string
  /** How long a lookup is trusted before asking the store again (a revocation elsewhere takes this long). */
  cacheMs?: number
  /** Distinct secrets remembered at most, so a flood of made-up keys cannot grow memory. */
  maxCached?: number
  now?: () => number
}

export interface KeyRing {
  /** The key a secret stands for, or null when unknown or revoked. */
  authenticate(secret: string): Promise<ApiKey | null>
  create(input: NewKey, actor: string): Promise<CreatedKey>
  list(): Promise<ApiKey[]>
  revoke(id: string, actor: string): Promise<ApiKey | null>
  /**
   * At first start without `PULSEGATE_ADMIN_KEY` and without any admin key, creates one and
   * returns its secret so the entry point can print it once (SPEC §12). Otherwise null.
   */
  bootstrapAdmin(): Promise<string | null>
}

const ENV_ADMIN: ApiKey = { id: 'env-admin', kind: 'admin', appId: null, name: 'PULSEGATE_ADMIN_KEY', prefix: '', createdAt: new Date(0).toISOString(), revokedAt: null }

/**
 * Authenticates API keys through the credential cache (credential-cache.ts), keyed by digest:
 * a request costs one SHA-256 and a map lookup. Unknown secrets are cached too (negatively),
 * and concurrent lookups of one secret share one query.
 */
export function createKeyRing(opts: KeyRingOptions): KeyRing {
  const { db, cacheMs = 10_000, maxCached = 10_000, now = Date.now } = opts
  const envDigest = opts.configuredAdminKey === undefined ? undefined : digestOf(opts.configuredAdminKey)
  const cache = createCredentialCache((digest) => findKeyByDigest(db, digest), { ttlMs: cacheMs, maxEntries: maxCached, now })

  return {
    async authenticate(secret) {
      const digest = digestOf(secret)
      if (digest === envDigest) return ENV_ADMIN
      const key = await cache.get(digest)
      return key === null || key.revokedAt !== null ? null : key
    },
    create: (input, actor) => insertKey(db, input, actor),
    list: () => listKeys(db),
    async revoke(id, actor) {
      const key = await revokeKey(db, id, actor)
      // Revoked here: forget every cached lookup, so this replica refuses it at once.
      if (key !== null) cache.clear()
      return key
    },
    async bootstrapAdmin() {
      if (envDigest !== undefined || await hasAdminKey(db)) return null
      const created = await insertKey(db, { kind: 'admin', name: 'generated at first start' }, 'system')
      return created.secret
    }
  }
}
