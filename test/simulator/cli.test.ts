import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BIN, cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { freePort } from '../support/services.js'
import { parseTruth } from '../../simulator/truth.js'

describe('pulsegate simulate, as a user runs it', () => {
  let gw: GatewayProc
  let mqttPort: string
  beforeAll(async () => {
    mqttPort = String(await freePort())
    gw = await startGatewayProcess({ PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false', PULSEGATE_MQTT_PORT: mqttPort })
  }, 30_000)
  afterAll(async () => {
    gw?.child.kill('SIGTERM')
    await gw?.exited
  })

  it('runs against the gateway, prints plain progress lines when not on a terminal, and writes the truth file', async () => {
    const truth = join(mkdtempSync(join(tmpdir(), 'pulsegate-sim-')), 'truth.jsonl')
    const { code, out } = await cli(['simulate', '--stores', '1', '--tables', '2', '--duration', '4s', '--interval', '1', '--mqtt', `mqtt://127.0.0.1:${mqttPort}`, '--truth', truth, '--progress-every', '2s'],
      { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY })
    expect(code).toBe(0)
    expect(out).toMatch(/^\ds\/4s {2}devices 2\/2 connected {2}heartbeats \d+ sent \d+ acked {2}events \d+ sent \d+ acked {2}faults 0 active$/m)
    expect(out).toContain(`ran 4 s: 2 devices, 0 faults; ground truth in ${truth}\n`)
    const t = parseTruth(readFileSync(truth, 'utf8'))
    expect(t.devices.map((d) => d.device_id)).toEqual(['sim-s1-t01', 'sim-s1-t02'])
    expect(t.acks.filter((a) => a.kind === 'heartbeat').length).toBeGreaterThanOrEqual(6)
  }, 30_000)

  it('refuses a bad scenario file with exit code 2, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsegate-sim-'))
    const file = join(dir, 's.yaml')
    writeFileSync(file, 'faults:\n  - { kind: will, at: 1s }\n')
    expect(await cli(['simulate', '--scenario', file], {})).toEqual({ code: 2, out: `pulsegate simulate: ${file} is not a valid scenario:\nfaults[0].for: must have required property 'for'\n` })
  })
})

describe('pulsegate start --demo', () => {
  it('runs the gateway with a small simulated fleet, shows where to look, and stops cleanly', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--demo'], {
      env: { ...process.env, PULSEGATE_HTTP_PORT: String(await freePort()), PULSEGATE_MQTT_PORT: String(await freePort()), PULSEGATE_LOG_LEVEL: 'warn', PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-demo-')) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => { output += c.toString() })
    child.stderr.on('data', (c: Buffer) => { output += c.toString() })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    await vi.waitFor(() => expect(output).toContain('Press Ctrl-C to stop.'), { timeout: 20_000, interval: 100 })
    const [, url, key] = /devices +curl -s (\S+)\/v1\/devices -H "Authorization: Bearer (pgr_\S+)"/.exec(output) ?? []
    const states = async (): Promise<string[]> => {
      const body = await (await fetch(`${url}/v1/devices`, { headers: { authorization: `Bearer ${key}` } })).json() as { devices: Array<{ state: string }> }
      return body.devices.map((d) => d.state)
    }
    await vi.waitFor(async () => expect(await states()).toEqual(Array(6).fill('online')), { timeout: 10_000, interval: 250 })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 40_000)
})
