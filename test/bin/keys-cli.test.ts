import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { freePort } from '../support/services.js'



describe('pulsegate keys, against the running gateway', () => {
  let gw: GatewayProc
  let env: Record<string, string>
  beforeAll(async () => {
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-cli-')) })
    env = { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY }
  })
  afterAll(async () => {
    gw.child.kill('SIGTERM')
    await gw.exited
  })

  it('creates a write key that works, lists it without its secret, and revokes it', async () => {
    const created = await cli(['keys', 'create', '--kind', 'write', '--app', 'shop', '--name', 'H5 pages', '--json'], env)
    expect(created.code).toBe(0)
    const key = JSON.parse(created.out) as { id: string; secret: string; app_id: string }
    expect(key).toMatchObject({ kind: 'write', app_id: 'shop', name: 'H5 pages' })
    const send = () => fetch(`${gw.httpUrl}/v1/track`, { method: 'POST', headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ event_name: 'page_view', event_time: Date.now(), user_id: 'u1', properties: { page: '/' } }) })
    expect((await send()).status).toBe(200)

    const listed = await cli(['keys', 'list'], env)
    expect(listed.code).toBe(0)
    const lines = listed.out.trim().split('\n')
    expect(lines[0]).toMatch(/^ID\s+KIND\s+APP\s+PREFIX\s+NAME\s+CREATED\s+REVOKED$/)
    expect(lines.find((l) => l.startsWith(key.id))).toMatch(new RegExp(`^${key.id}\\s+write\\s+shop\\s+${key.secret.slice(0, 8)}\\s+H5 pages\\s+\\S+\\s+-$`))
    expect(listed.out).not.toContain(key.secret)

    const revoked = await cli(['keys', 'revoke', key.id], env)
    expect(revoked).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^revoked ${key.id} at \\d{4}-`)) })
    expect((await send()).status).toBe(401)
  })

  it('prints the secret once in plain output', async () => {
    const created = await cli(['keys', 'create', '--kind', 'read'], env)
    expect(created.code).toBe(0)
    expect(created.out).toMatch(/^read key key_\S+\npgr_[A-Za-z0-9_-]{32}\nThe secret is shown only now; store it.\n$/)
  })

  it('explains what is wrong: no admin key, a wrong one, an unreachable gateway, bad usage', async () => {
    expect(await cli(['keys', 'list'], { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: '' }))
      .toEqual({ code: 1, out: 'pulsegate keys: set PULSEGATE_ADMIN_KEY to the admin key (printed at first start, or the one you configured)\n' })
    expect(await cli(['keys', 'list'], { ...env, PULSEGATE_ADMIN_KEY: 'wrong-key-wrong-key' }))
      .toEqual({ code: 1, out: 'pulsegate keys: 401 PG_ERR_UNAUTHENTICATED: the key is unknown or revoked\n' })
    const port = await freePort()
    const down = await cli(['keys', 'list'], { ...env, PULSEGATE_URL: `http://127.0.0.1:${port}` })
    expect(down.code).toBe(1)
    expect(down.out).toContain(`cannot reach the gateway at http://127.0.0.1:${port}`)
    const usage = await cli(['keys', 'create', '--colour', 'red'], env)
    expect(usage.code).toBe(2)
    expect(usage.out).toContain('Usage:')
  })
})

describe('the first start', () => {
  it('prints a generated admin key once, and the CLI works with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsegate-first-'))
    const first = await startGatewayProcess({ PULSEGATE_DATA_DIR: dataDir, PULSEGATE_ADMIN_KEY: '' })
    const secret = /admin key {2}(pga_[A-Za-z0-9_-]{32})/.exec(first.output())?.[1]
    expect(secret).toBeDefined()
    const listed = await cli(['keys', 'list', '--json'], { PULSEGATE_URL: first.httpUrl, PULSEGATE_ADMIN_KEY: secret as string })
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ kind: 'admin', name: 'generated at first start', revoked_at: null })])
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    const second = await startGatewayProcess({ PULSEGATE_DATA_DIR: dataDir, PULSEGATE_ADMIN_KEY: '' })
    expect(second.output()).not.toContain('admin key')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })
})
