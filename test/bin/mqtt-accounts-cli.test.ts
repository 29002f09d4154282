import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { freePort } from '../support/services.js'

describe('pulsegate mqtt-accounts, against the running gateway', () => {
  let gw: GatewayProc
  let env: Record<string, string>
  let mqttUrl: string
  beforeAll(async () => {
    const port = await freePort()
    mqttUrl = `mqtt://127.0.0.1:${port}`
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-cli-')), PULSEGATE_MQTT_PORT: String(port), PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false' })
    env = { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY }
  })
  afterAll(async () => {
    gw.child.kill('SIGTERM')
    await gw.exited
  })

  it('creates an account a tool connects with, lists it without its secret, and revokes it', async () => {
    const created = await cli(['mqtt-accounts', 'create', 'watcher', '--subscribe', 'devices/+/status', '--subscribe', 'devices/+/events'], env)
    expect(created.code).toBe(0)
    const [first, secret, last] = created.out.trim().split('\n')
    expect(first).toBe('MQTT user name svc:watcher')
    expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(last).toBe('The secret is shown only now; store it.')
    const tool = await mqtt.connectAsync(mqttUrl, { username: 'svc:watcher', password: secret, reconnectPeriod: 0 })
    expect((await tool.subscribeAsync('devices/+/status', { qos: 1 }))[0]?.qos).toBe(1)
    await tool.endAsync()

    const listed = await cli(['mqtt-accounts', 'list'], env)
    const lines = listed.out.trim().split('\n')
    expect(lines[0]).toMatch(/^USERNAME\s+SUBSCRIBE\s+PUBLISH\s+PREFIX\s+CREATED\s+REVOKED$/)
    expect(lines[1]).toMatch(new RegExp(`^svc:watcher\\s+devices/\\+/status,devices/\\+/events\\s+-\\s+${(secret as string).slice(0, 4).replace(/[-]/g, '\\-')}\\s+\\S+\\s+-$`))
    expect(listed.out).not.toContain(secret)

    expect(await cli(['mqtt-accounts', 'revoke', 'watcher'], env)).toEqual({ code: 0, out: expect.stringMatching(/^revoked svc:watcher at \d{4}-/) })
    const refused = await mqtt.connectAsync(mqttUrl, { username: 'svc:watcher', password: secret, reconnectPeriod: 0 }).then(() => 0, (err: { code: number }) => err.code)
    expect(refused).toBe(5)
  })

  it('explains a refused request and bad usage', async () => {
    expect(await cli(['mqtt-accounts', 'create', 'bad', '--subscribe', 'a/#/b'], env)).toEqual({
      code: 1, out: 'pulsegate mqtt-accounts: 400 PG_ERR_ACCOUNT_INVALID: The MQTT service account is invalid: "a/#/b": `#` must be a whole level, and the last one\n'
    })
    expect(await cli(['mqtt-accounts', 'revoke', 'nobody'], env)).toEqual({ code: 1, out: 'pulsegate mqtt-accounts: 404 PG_ERR_NO_SUCH_ACCOUNT: no MQTT service account nobody\n' })
    const usage = await cli(['mqtt-accounts', 'create'], env)
    expect(usage.code).toBe(2)
    expect(usage.out).toContain('Usage:')
  })
})
