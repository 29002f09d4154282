/**
 * The gateway under test runs in its own process, started from `dist/` exactly as a user
 * starts it (`pulsegate start`), so the load generators never share its event loop.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { killOnExit } from './main.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRY = path.join(ROOT, 'dist', 'bin', 'pulsegate.js')
const SOURCE_DIRS = ['bin', 'gateway', 'processors']
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000
const execFileP = promisify(execFile)

export interface GatewayProcess {
  httpUrl: string
  mqttUrl: string
  pid: number
  /** SIGTERM (graceful: drains the intake), then waits; SIGKILL after STOP_TIMEOUT_MS. */
  stop(): Promise<void>
}

export interface GatewayProcessOptions {
  /** A label for logs and the profile directory. */
  name: string
  /** PULSEGATE_* variables on top of the bench defaults. */
  env: Record<string, string>
  /** Write a V8 CPU profile of the gateway into this directory on stop. */
  cpuProfDir?: string | undefined
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

/**
 * A benchmark run alone rebuilds when a source is newer than `dist/`, so it never measures
 * stale code. `npm run bench` has just built: rebuilding between its benchmarks would measure
 * them on different code if someone edits a file meanwhile.
 */
export async function ensureBuilt(): Promise<void> {
  if (process.env.npm_lifecycle_event === 'bench') return
  const built = await stat(ENTRY).then((s) => s.mtimeMs, () => 0)
  const newest = Math.max(...await Promise.all(SOURCE_DIRS.map((d) => newestMtime(path.join(ROOT, d)))))
  if (built >= newest) return
  process.stderr.write('[bench] dist/ is older than the sources; running npm run build…\n')
  await execFileP('npm', ['run', 'build', '--silent'], { cwd: ROOT })
}

function spawnGateway(opts: GatewayProcessOptions): ChildProcess {
  const profArgs = opts.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=${opts.name}.cpuprofile`]
  // PULSEGATE_* knobs in our environment reach the gateway, but never a store it was not given.
  const { PULSEGATE_DATABASE_URL: _url, PULSEGATE_CONFIG: _file, ...inherited } = process.env
  const env = { ...inherited, PULSEGATE_HTTP_PORT: '0', PULSEGATE_MQTT_PORT: '0', PULSEGATE_LOG_LEVEL: 'warn', PULSEGATE_ADMIN_KEY: BENCH_ADMIN_KEY, ...opts.env }
  return spawn(process.execPath, [...profArgs, ENTRY, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Resolves with the URLs the gateway prints once it listens. */
async function waitForUrls(child: ChildProcess, name: string): Promise<{ httpUrl: string; mqttUrl: string }> {
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString(); process.stderr.write(`[${name}] ${chunk.toString()}`) })
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    const http = /HTTP API\s+(http:\/\/\S+)/.exec(out)?.[1]
    const mqtt = /MQTT\s+(mqtt:\/\/\S+)/.exec(out)?.[1]
    if (http !== undefined && mqtt !== undefined) return { httpUrl: http, mqttUrl: mqtt }
    if (child.exitCode !== null) throw new Error(`gateway ${name} exited with ${child.exitCode}:\n${out}`)
    await sleep(50)
  }
  throw new Error(`gateway ${name} did not print its URLs within ${READY_TIMEOUT_MS} ms:\n${out}`)
}

function stopper(child: ChildProcess, name: string, forget: () => void): () => Promise<void> {
  let stopping = false
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', (code, signal) => {
      // A gateway dying mid-run fails the next request; say why here, where it is known.
      if (!stopping) process.stderr.write(`[bench] gateway ${name} exited unexpectedly (code ${code}, signal ${signal})\n`)
      resolve()
    })
  })
  return async () => {
    stopping = true
    child.kill('SIGTERM')
    const timer = sleep(STOP_TIMEOUT_MS, 'timeout' as const, { ref: false })
    if ((await Promise.race([exited, timer])) === 'timeout') child.kill('SIGKILL')
    await exited
    forget()
  }
}

export async function startGatewayProcess(opts: GatewayProcessOptions): Promise<GatewayProcess> {
  if (opts.cpuProfDir !== undefined) await mkdir(opts.cpuProfDir, { recursive: true })
  const child = spawnGateway(opts)
  const forget = killOnExit(child)
  const stop = stopper(child, opts.name, forget)
  try {
    const urls = await waitForUrls(child, opts.name)
    return { ...urls, pid: child.pid ?? 0, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The admin key benchmark gateways start with. */
export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789'

/**
 * A write key for `appId` from a benchmark gateway, as its base URL with the key in the path
 * (`/k/{key}`): the load generator then posts to it like any client whose one setting is a URL.
 */
export async function writeKeyUrl(httpUrl: string, appId: string): Promise<string> {
  const res = await fetch(`${httpUrl}/v1/admin/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'write', app_id: appId })
  })
  if (res.status !== 201) throw new Error(`[bench] write key not created: ${res.status} ${await res.text()}`)
  return `${httpUrl}/k/${(await res.json() as { secret: string }).secret}`
}
