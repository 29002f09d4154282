import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { freePort } from './services.js'

export const BIN = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pulsegate.js')
/** The admin key test processes are started with. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789'

export interface GatewayProc {
  child: ChildProcess
  httpUrl: string
  exited: Promise<number | null>
  /** Everything the process printed so far (stdout and stderr). */
  output(): string
}

/** Starts the built CLI as a user would (`pulsegate start`), and waits for its banner. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProc> {
  const httpPort = env.PULSEGATE_HTTP_PORT ?? String(await freePort())
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...process.env, PULSEGATE_HTTP_PORT: httpPort, PULSEGATE_MQTT_PORT: String(await freePort()),
      PULSEGATE_LOG_LEVEL: 'warn', PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY,
      // Tests of broker security set it to 'false'.
      PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'true', ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => { if (signal !== null) output += `\nkilled by ${signal}`; resolve(code) }))
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('PulseGate is running')) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then((code) => reject(new Error(`gateway exited with ${code}: ${output}`)))
  })
  return { child, httpUrl: `http://127.0.0.1:${httpPort}`, exited, output: () => output }
}

/** A new key from a running gateway's admin API. */
export async function createKey(httpUrl: string, kind: 'write' | 'read', appId = 'test-app'): Promise<string> {
  const res = await fetch(`${httpUrl}/v1/admin/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind, app_id: appId })
  })
  if (res.status !== 201) throw new Error(`key not created: ${res.status} ${await res.text()}`)
  return (await res.json() as { secret: string }).secret
}

const run = promisify(execFile)

/** Runs `pulsegate <args>` as a user would; resolves with its exit code and output. */
export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}
