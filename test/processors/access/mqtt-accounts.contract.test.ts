import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMqttAccounts, type MqttAccounts } from '../../../processors/access/mqtt-accounts.js'
import type { Db } from '../../../processors/db/db.js'
import { secretDigest } from '../../../processors/devices/device-record.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

describe.each(backends)('MQTT service accounts on %s', (_name, open) => {
  let db: Db
  let accounts: MqttAccounts
  beforeEach(async () => {
    db = await open()
    await migrate(db)
    accounts = createMqttAccounts(db)
  })
  afterEach(async () => { await db.close() })

  it('creates an account with its filters, stores only the digest, checks credentials and refuses a revoked one', async () => {
    const created = await accounts.create({ name: 'ops', publish: ['devices/+/commands'], subscribe: ['devices/+/status', 'devices/+/events'] }, 'key_admin')
    expect(created).toMatchObject({ name: 'ops', username: 'svc:ops', publish: ['devices/+/commands'], subscribe: ['devices/+/status', 'devices/+/events'], revokedAt: null })
    const { rows } = await db.query('SELECT secret_digest, publish, subscribe FROM mqtt_accounts')
    expect(rows).toEqual([{ secret_digest: secretDigest(created.secret), publish: ['devices/+/commands'], subscribe: ['devices/+/status', 'devices/+/events'] }])
    expect(await accounts.check('ops', created.secret)).toMatchObject({ ok: true, account: { name: 'ops' } })
    expect(await accounts.check('ops', 'wrong')).toEqual({ ok: false, reason: 'wrong_secret' })
    expect(await accounts.check('nobody', created.secret)).toEqual({ ok: false, reason: 'unknown_account' })
    expect((await accounts.revoke('ops', 'key_admin'))?.revokedAt).toEqual(expect.any(String))
    expect(await accounts.check('ops', created.secret)).toEqual({ ok: false, reason: 'revoked' })
    expect(await accounts.revoke('nobody', 'key_admin')).toBeNull()
    expect((await accounts.list()).map((a) => a.name)).toEqual(['ops'])
    const audit = await db.query("SELECT actor, action, target FROM audit_log ORDER BY id")
    expect(audit.rows).toEqual([{ actor: 'key_admin', action: 'mqtt_account.create', target: 'ops' }, { actor: 'key_admin', action: 'mqtt_account.revoke', target: 'ops' }])
  })

  it('refuses a taken name and invalid filters, writing nothing', async () => {
    await accounts.create({ name: 'ops', publish: [], subscribe: ['a/#'] }, 'k')
    await expect(accounts.create({ name: 'ops', publish: [], subscribe: ['b/#'] }, 'k')).rejects.toMatchObject({ code: 'PG_ERR_ACCOUNT_EXISTS' })
    await expect(accounts.create({ name: 'x', publish: ['a/#/b'], subscribe: [] }, 'k')).rejects.toMatchObject({ code: 'PG_ERR_ACCOUNT_INVALID', details: { path: '/publish/0' } })
    expect((await db.query('SELECT name FROM mqtt_accounts')).rows).toEqual([{ name: 'ops' }])
  })
})
