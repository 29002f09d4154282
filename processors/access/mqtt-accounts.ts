import type { Db, Queryable } from '../db/db.js'
import { createCredentialCache } from './credential-cache.js'
import { digestsEqual, newDeviceSecret, secretDigest, secretPrefixOf, SERVICE_USER_PREFIX } from '../devices/device-record.js'
import { errors, PulseGateError } from '../errors.js'
import { audit } from './audit.js'
import { filterProblem } from './topic-filter.js'

export { SERVICE_USER_PREFIX }

const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/

/** A tool's MQTT identity (SPEC §3): what it may publish to and subscribe to. */
export interface MqttAccount {
  name: string
  /** The MQTT user name: `svc:{name}`. */
  username: string
  /** Topic filters the account may publish to. */
  publish: string[]
  /** Topic filters the account may subscribe within. */
  subscribe: string[]
  secretPrefix: string
  createdAt: string
  revokedAt: string | null
}

export interface NewMqttAccount { name: string; publish: string[]; subscribe: string[] }

export type AccountRefusal = 'unknown_account' | 'wrong_secret' | 'revoked'
export type AccountCheck = { ok: true; account: MqttAccount } | { ok: false; reason: AccountRefusal }

export interface MqttAccounts {
  /** Creates an account; its secret is in this answer only. PG_ERR_ACCOUNT_EXISTS, PG_ERR_ACCOUNT_INVALID. */
  create(input: NewMqttAccount, actor: string): Promise<MqttAccount & { secret: string }>
  list(): Promise<MqttAccount[]>
  /** Null when there is no such account; revoking twice changes nothing. */
  revoke(name: string, actor: string): Promise<MqttAccount | null>
  /** Checks a CONNECT's user name (without the prefix) and password. */
  check(name: string, secret: string): Promise<AccountCheck>
}

interface AccountRow {
  name: string; publish: string[]; subscribe: string[]; secret_prefix: string; created_at: Date; revoked_at: Date | null
}
const COLUMNS = 'name, publish, subscribe, secret_prefix, created_at, revoked_at'
const iso = (d: Date | string): string => new Date(d).toISOString()

function accountOfRow(r: AccountRow): MqttAccount {
  return {
    name: r.name, username: SERVICE_USER_PREFIX + r.name, publish: r.publish, subscribe: r.subscribe, secretPrefix: r.secret_prefix,
    createdAt: iso(r.created_at), revokedAt: r.revoked_at === null ? null : iso(r.revoked_at)
  }
}

/** Every problem of a new account, as one message naming the field. */
function accountProblem(a: NewMqttAccount): { path: string; message: string } | null {
  if (!NAME_PATTERN.test(a.name)) return { path: '/name', message: `name must be 1 to 64 lowercase letters, digits or _ . - (starting with a letter or digit), not ${JSON.stringify(a.name)}` }
  if (a.publish.length === 0 && a.subscribe.length === 0) return { path: '/subscribe', message: 'an account needs at least one publish or subscribe filter' }
  for (const field of ['publish', 'subscribe'] as const) {
    for (const [i, filter] of a[field].entries()) {
      const problem = filterProblem(filter)
      if (problem !== null) return { path: `/${field}/${i}`, message: `${JSON.stringify(filter)}: ${problem}` }
    }
  }
  return null
}

async function findAccount(db: Queryable, name: string): Promise<{ account: MqttAccount; digest: string } | null> {
  const { rows } = await db.query<AccountRow & { secret_digest: string }>(`SELECT ${COLUMNS}, secret_digest FROM mqtt_accounts WHERE name = $1`, [name])
  return rows[0] === undefined ? null : { account: accountOfRow(rows[0]), digest: rows[0].secret_digest }
}

/** Service accounts in the event store, with the same credential cache as devices. */
export function createMqttAccounts(db: Db, opts: { cacheMs?: number; now?: () => number } = {}): MqttAccounts {
  const cache = createCredentialCache((name) => findAccount(db, name), { ttlMs: opts.cacheMs ?? 10_000, maxEntries: 10_000, now: opts.now ?? Date.now })
  return {
    async create(input, actor) {
      const problem = accountProblem(input)
      if (problem !== null) throw new PulseGateError(errors.ACCOUNT_INVALID, problem.message, { details: { path: problem.path } })
      const secret = newDeviceSecret()
      const created = await db.transaction(async (tx) => {
        const { rows } = await tx.query<AccountRow>(
          `INSERT INTO mqtt_accounts (name, secret_digest, secret_prefix, publish, subscribe) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
          [input.name, secretDigest(secret), secretPrefixOf(secret), input.publish, input.subscribe])
        if (rows[0] === undefined) throw new PulseGateError(errors.ACCOUNT_EXISTS, input.name)
        await audit(tx, { actor, action: 'mqtt_account.create', target: input.name, details: { publish: input.publish, subscribe: input.subscribe } })
        return { ...accountOfRow(rows[0]), secret }
      })
      cache.forget([input.name])
      return created
    },
    async list() {
      const { rows } = await db.query<AccountRow>(`SELECT ${COLUMNS} FROM mqtt_accounts ORDER BY name`)
      return rows.map(accountOfRow)
    },
    async revoke(name, actor) {
      const revoked = await db.transaction(async (tx) => {
        const { rows } = await tx.query<AccountRow>(
          `UPDATE mqtt_accounts SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`, [name])
        if (rows[0] === undefined) return (await findAccount(tx, name))?.account ?? null
        await audit(tx, { actor, action: 'mqtt_account.revoke', target: name })
        return accountOfRow(rows[0])
      })
      cache.forget([name])
      return revoked
    },
    async check(name, secret) {
      const found = await cache.get(name)
      if (found === null) return { ok: false, reason: 'unknown_account' }
      if (!digestsEqual(secretDigest(secret), found.digest)) return { ok: false, reason: 'wrong_secret' }
      return found.account.revokedAt === null ? { ok: true, account: found.account } : { ok: false, reason: 'revoked' }
    }
  }
}
