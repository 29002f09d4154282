import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { fixtureDir } from '../support/helpers.js'

const SECRET = '[A-Za-z0-9_-]{22}'


describe('pulsegate devices, against the running gateway', () => {
  const files = fixtureDir('pulsegate-devices-cli-')
  let gw: GatewayProc
  let env: Record<string, string>
  beforeAll(async () => {
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: files.dir })
    env = { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY }
  })
  afterAll(async () => {
    gw.child.kill('SIGTERM')
    await gw.exited
    files.remove()
  })

  const device = async (id: string) => (await fetch(`${gw.httpUrl}/v1/admin/devices/${id}`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).json() as Promise<Record<string, unknown>>

  it('adds a device and prints its secret once, then lists it without the secret', async () => {
    const added = await cli(['devices', 'add', 'tc-001', '--store', 'shop-1', '--table', 'T7', '--interval', '10'], env)
    expect(added).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^device tc-001 in store shop-1, table T7, heartbeat every 10 s\\n(${SECRET})\\nThe secret is shown only now: set it as the device's MQTT password \\(user name tc-001\\).\\n$`)) })
    const secret = added.out.split('\n')[1] as string
    await cli(['devices', 'add', 'tc-002', '--store', 'shop-2'], env)
    const listed = await cli(['devices', 'list', '--store', 'shop-1'], env)
    expect(listed.code).toBe(0)
    const lines = listed.out.trim().split('\n')
    expect(lines[0]).toMatch(/^DEVICE\s+STORE\s+TABLE\s+INTERVAL\s+ENABLED\s+PREFIX\s+CREATED\s+ROTATED$/)
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^tc-001\\s+shop-1\\s+T7\\s+10s\\s+yes\\s+${secret.slice(0, 4).replace(/[-]/g, '\\-')}\\s+\\S+\\s+-$`))])
    expect(listed.out).not.toContain(secret)
    const json = await cli(['devices', 'list', '--json'], env)
    expect((JSON.parse(json.out) as Array<{ device_id: string }>).map((d) => d.device_id)).toEqual(['tc-001', 'tc-002'])
  })

  it('disables, enables and rotates', async () => {
    await cli(['devices', 'add', 'tc-010', '--store', 'shop-1'], env)
    expect(await cli(['devices', 'disable', 'tc-010'], env)).toEqual({ code: 0, out: 'tc-010 is disabled\n' })
    expect(await device('tc-010')).toMatchObject({ enabled: false })
    expect(await cli(['devices', 'enable', 'tc-010'], env)).toEqual({ code: 0, out: 'tc-010 is enabled\n' })
    const rotated = await cli(['devices', 'rotate', 'tc-010', '--json'], env)
    expect(JSON.parse(rotated.out)).toMatchObject({ device_id: 'tc-010', last_rotated_at: expect.any(String), secret: expect.stringMatching(new RegExp(`^${SECRET}$`)) })
    expect(await cli(['devices', 'rotate', 'nope'], env)).toEqual({ code: 1, out: 'pulsegate devices: 404 PG_ERR_NO_SUCH_DEVICE: no device nope\n' })
  })

  it('imports a CSV file, printing the new secrets as CSV, and refuses a bad file whole, line by line', async () => {
    const good = files.write('good.csv', 'device_id,store_id,table_id,heartbeat_interval_s\nimp-1,shop-3,A1,5\nimp-2,shop-3,,\ntc-001,shop-3,T7,10\n')
    const imported = await cli(['devices', 'import', good], env)
    expect(imported).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^created 2, updated 1, unchanged 0\\nSecrets of the new devices, shown only now:\\ndevice_id,secret\\nimp-1,${SECRET}\\nimp-2,${SECRET}\\n$`)) })
    expect(await device('tc-001')).toMatchObject({ store_id: 'shop-3', table_id: 'T7' })

    const bad = files.write('bad.csv', 'device_id,store_id,heartbeat_interval_s\nimp-3,shop-3,5\nimp-4,,5\nimp-5,shop-3,0\n')
    expect(await cli(['devices', 'import', bad], env)).toEqual({
      code: 1,
      out: 'pulsegate devices: 400 PG_ERR_CSV_INVALID: The CSV cannot be imported; nothing was imported: 2 bad lines\n' +
        '  line 3: store_id must be 1 to 128 letters, digits or _ . : - (it is used in MQTT topics), not ""\n' +
        '  line 4: heartbeat_interval_s must be a whole number of seconds from 1 to 3600, not 0\n'
    })
    expect(await device('imp-3')).toMatchObject({ error: { code: 'PG_ERR_NO_SUCH_DEVICE' } })
    expect(await cli(['devices', 'import', `${files.dir}/missing.csv`], env)).toEqual({ code: 1, out: expect.stringMatching(/^pulsegate devices: cannot read .*missing\.csv: ENOENT/) })
  })

  it('explains usage mistakes and a refused add', async () => {
    expect(await cli(['devices', 'add', 'tc-001', '--store', 'shop-1'], env)).toEqual({ code: 1, out: 'pulsegate devices: 409 PG_ERR_DEVICE_EXISTS: A device with that id already exists: tc-001\n' })
    const noStore = await cli(['devices', 'add', 'tc-100'], env)
    expect([noStore.code, noStore.out.startsWith('Usage:')]).toEqual([2, true])
    expect(await cli(['devices', 'add', 'tc-100', '--store', 's', '--interval', 'fast'], env)).toEqual({ code: 2, out: 'pulsegate devices: --interval takes whole seconds, not "fast"\n' })
    const unknown = await cli(['devices', 'list', '--colour', 'red'], env)
    expect([unknown.code, unknown.out]).toEqual([2, expect.stringContaining("Unknown option '--colour'")])
    expect(await cli(['devices', 'list'], { ...env, PULSEGATE_ADMIN_KEY: '' }))
      .toEqual({ code: 1, out: 'pulsegate devices: set PULSEGATE_ADMIN_KEY to the admin key (printed at first start, or the one you configured)\n' })
  })
})
