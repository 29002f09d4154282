/**
 * Real servers on loopback for tests and benchmarks: PostgreSQL, Redis and mosquitto.
 *
 * CI machines are fresh Debian hosts where we are root and only the Debian and npm
 * registries are reachable, so a missing server is installed with apt-get rather than
 * skipped: a suite that silently skips its real-backend half proves nothing.
 * Every server gets its own temp dir and an OS-picked port on 127.0.0.1, never a fixed
 * port (STYLE §15), and is killed by stop() or, failing that, when this process exits.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { constants, readFileSync, rmSync } from 'node:fs'
import { access, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import pg from 'pg'

/** A binary we need and the Debian package that ships it. */
export interface PackageRequirement { binary: string; pkg: string }

/** A running server; stop() kills it and removes its temp dir. */
export interface RunningServer { url: string; stop(): Promise<void> }
export interface PostgresServer extends RunningServer { dataDir: string }
export interface MosquittoServer extends RunningServer { port: number }

const READY_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 5_000
const APT_FRESH_MS = 60 * 60 * 1000
const APT_MARKER = path.join(os.tmpdir(), 'pulsegate-apt-updated')
// Another apt run (a parallel job, unattended-upgrades) may hold the dpkg lock; wait for it.
const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=300']
// Debian keeps server binaries in sbin and PostgreSQL's outside PATH entirely.
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
const PG_ROOT = '/usr/lib/postgresql'
const PG_MIN_MAJOR = 15
const TAIL_CHARS = 8_000
const execFileP = promisify(execFile)

const isRoot = (): boolean => process.getuid?.() === 0
const tail = (text: string): string => text.slice(-TAIL_CHARS)

// ---------------------------------------------------------------- commands

/** Runs a command to completion; a failure carries its output's tail. */
async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  try {
    const env = { ...process.env, ...opts.env }
    const { stdout } = await execFileP(cmd, args, { env, cwd: opts.cwd, maxBuffer: 64 << 20 })
    return stdout
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string }
    const detail = tail(`${out.stdout ?? ''}${out.stderr ?? ''}`)
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${detail}`, { cause: err })
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(() => true, () => false)
}

/** PostgreSQL bin dirs of supported majors, newest first. */
async function postgresBinDirs(): Promise<string[]> {
  const entries = await readdir(PG_ROOT).catch(() => [] as string[])
  return entries
    .filter((name) => /^\d+$/.test(name) && Number(name) >= PG_MIN_MAJOR)
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => path.join(PG_ROOT, major, 'bin'))
}

/** Absolute path of `binary` (a name or an absolute path), or undefined. */
export async function findBinary(binary: string): Promise<string | undefined> {
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  const dirs = [...pathDirs, ...SEARCH_DIRS, ...(await postgresBinDirs())]
  const candidates = path.isAbsolute(binary) ? [binary] : dirs.map((dir) => path.join(dir, binary))
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate
  return undefined
}

// ---------------------------------------------------------------- apt

let aptUpdate: Promise<void> | undefined
let aptQueue: Promise<unknown> = Promise.resolve()

async function aptListsAreFresh(): Promise<boolean> {
  const marker = await stat(APT_MARKER).catch(() => undefined)
  return marker !== undefined && Date.now() - marker.mtimeMs < APT_FRESH_MS
}

async function aptUpdateUnlessFresh(): Promise<void> {
  if (await aptListsAreFresh()) return
  await run('apt-get', [...APT_LOCK_WAIT, 'update'])
  await writeFile(APT_MARKER, new Date().toISOString())
}

/** Once per process; a failed update is retried by the next caller. */
function aptUpdateOnce(): Promise<void> {
  aptUpdate ??= aptUpdateUnlessFresh().catch((err: unknown) => {
    aptUpdate = undefined
    throw err
  })
  return aptUpdate
}

async function aptInstall(pkgs: string[]): Promise<void> {
  const started = Date.now()
  process.stderr.write(`[services] installing ${pkgs.join(' ')} with apt-get…\n`)
  await aptUpdateOnce()
  const args = [...APT_LOCK_WAIT, 'install', '-y', '--no-install-recommends', ...pkgs]
  await run('apt-get', args, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
  process.stderr.write(`[services] installed ${pkgs.join(' ')} in ${Date.now() - started} ms\n`)
}

/** Installs `pkgs` as root (one apt call at a time in this process) or says how to. */
function installOrExplain(pkgs: string[]): Promise<void> {
  if (!isRoot()) {
    const command = `sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}`
    return Promise.reject(new Error(`missing Debian package(s) ${pkgs.join(', ')}; install with: ${command}`))
  }
  const next = aptQueue.then(() => aptInstall(pkgs))
  aptQueue = next.catch(() => undefined)
  return next
}

async function missingPackages(req: PackageRequirement[]): Promise<string[]> {
  const found = await Promise.all(req.map(async (r) => (await findBinary(r.binary)) !== undefined))
  return [...new Set(req.filter((_, i) => !found[i]).map((r) => r.pkg))]
}

/** Installs, in one apt-get call, the packages whose binary is missing. Never skips. */
export async function ensureDebianPackages(req: PackageRequirement[]): Promise<void> {
  const missing = await missingPackages(req)
  if (missing.length === 0) return
  await installOrExplain(missing)
  const still = await missingPackages(req)
  if (still.length > 0) throw new Error(`apt-get installed ${missing.join(' ')} but binaries of ${still.join(', ')} are still missing`)
}

/** Ensures all of `req` in one apt call and returns the path of the first binary. */
async function requireBinaries(req: [PackageRequirement, ...PackageRequirement[]]): Promise<string> {
  await ensureDebianPackages(req)
  const found = await findBinary(req[0].binary)
  if (found === undefined) throw new Error(`${req[0].binary} not found after installing ${req[0].pkg}`)
  return found
}

// ---------------------------------------------------------------- cleanup on exit

const exitCleanups = new Set<() => void>()
let exitHookInstalled = false

/** Registers a synchronous last-resort cleanup; returns a function that unregisters it. */
function onExit(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    process.on('exit', () => exitCleanups.forEach((fn) => bestEffort(fn)))
    exitHookInstalled = true
  }
  exitCleanups.add(cleanup)
  return () => exitCleanups.delete(cleanup)
}

function bestEffort(fn: () => void): void {
  try { fn() } catch { /* the process is exiting; nothing left to report to */ }
}

const removeDirSync = (dir: string): void => rmSync(dir, { recursive: true, force: true })

// ---------------------------------------------------------------- ports and probes

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it; we release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Another process can grab a freePort() before the server binds it; try a new port then. */
async function withFreshPort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort())
    } catch (err) {
      const clash = /address already in use|could not bind/i.test(String(err))
      if (!clash || attempt >= attempts) throw err
    }
  }
}

function connectLocal(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.setTimeout(1_000, () => socket.destroy(new Error('socket timeout')))
  return socket
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectLocal(port)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** Sends one inline Redis command over raw TCP and resolves with the first reply line, CRLF included. */
export function redisRawCommand(url: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectLocal(Number(new URL(url).port))
    let reply = ''
    socket.once('error', reject)
    socket.once('close', () => reject(new Error(`redis at ${url} closed before replying to ${command}`)))
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1')
      const end = reply.indexOf('\r\n')
      if (end >= 0) { socket.destroy(); resolve(reply.slice(0, end + 2)) }
    })
    socket.once('connect', () => socket.write(`${command}\r\n`))
  })
}

// ---------------------------------------------------------------- child processes

interface Child { process: ChildProcess; log: () => string; exited: Promise<void> }

function spawnChild(bin: string, args: string[], cwd: string): Child {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const append = (chunk: Buffer): void => { log = tail(log + chunk.toString()) }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', (err) => { append(Buffer.from(String(err))); resolve() })
  })
  // A script that forgets stop() should still end; the exit hook then kills the server.
  child.unref()
  for (const stream of [child.stdout, child.stderr]) (stream as net.Socket | null)?.unref()
  return { process: child, log: () => log, exited }
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

async function stopChild(child: Child): Promise<void> {
  if (hasExited(child.process)) return
  // The child is unref'd while it runs (a forgotten server must not keep a test process
  // alive); while we stop it, it is ref'd again, or node could exit in the middle of the
  // await below when nothing else holds the loop, leaving the server and its temp dir behind.
  child.process.ref()
  child.process.kill('SIGTERM')
  const grace = new AbortController()
  const timer = sleep(STOP_GRACE_MS, 'timeout' as const, { signal: grace.signal }).catch(() => 'exited' as const)
  const first = await Promise.race([child.exited.then(() => 'exited' as const), timer])
  grace.abort()
  if (first === 'timeout') {
    child.process.kill('SIGKILL')
    await child.exited
  }
}

interface LaunchSpec {
  name: string
  bin: string
  args: string[]
  /** Temp dir the server owns; deleted on stop. */
  dir: string
  /**
   * Log line the server prints once it listens. A probe alone is not enough: when the
   * port is taken, the probe reaches the other owner while our server is still exiting.
   */
  readyLog: RegExp
  probe: () => Promise<boolean>
}

/** Polls until the ready line is logged and `probe` answers, the child dies or READY_TIMEOUT_MS passes. */
async function waitReady(spec: LaunchSpec, child: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (hasExited(child.process)) throw new Error(`${spec.name} exited before it was ready:\n${child.log()}`)
    if (spec.readyLog.test(child.log()) && (await spec.probe())) return
    await sleep(100)
  }
  throw new Error(`${spec.name} not ready after ${READY_TIMEOUT_MS} ms:\n${child.log()}`)
}

/** Starts a foreground server owning `dir`; returns its stop(). Cleans up if it never gets ready. */
async function launch(spec: LaunchSpec): Promise<() => Promise<void>> {
  const child = spawnChild(spec.bin, spec.args, spec.dir)
  const forget = onExit(() => { child.process.kill('SIGKILL'); removeDirSync(spec.dir) })
  const stop = async (): Promise<void> => {
    forget()
    await stopChild(child)
    await rm(spec.dir, { recursive: true, force: true })
  }
  try {
    await waitReady(spec, child)
  } catch (err) {
    await stop()
    throw err
  }
  return stop
}

const makeTempDir = (kind: string): Promise<string> => mkdtemp(path.join(os.tmpdir(), `pulsegate-${kind}-`))

// ---------------------------------------------------------------- Redis

/** A Redis with no persistence on a free port; ready once PING answers +PONG. */
export async function startRedis(): Promise<RunningServer> {
  const bin = await requireBinaries([{ binary: 'redis-server', pkg: 'redis-server' }])
  return withFreshPort(async (port) => {
    const url = `redis://127.0.0.1:${port}`
    const dir = await makeTempDir('redis')
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no']
    const probe = (): Promise<boolean> => redisRawCommand(url, 'PING').then((r) => r === '+PONG\r\n', () => false)
    const stop = await launch({ name: 'redis-server', bin, args, dir, readyLog: /Ready to accept connections/, probe })
    return { url, stop }
  })
}

// ---------------------------------------------------------------- mosquitto

/** Options of startMosquitto; the defaults give an anonymous broker that keeps nothing. */
export interface MosquittoOptions {
  /** Port to bind; unset picks a free one. Pass the previous port to restart "the same" broker. */
  port?: number
  /**
   * Directory where mosquitto keeps retained messages and persistent sessions across restarts
   * (`persistence true`); it survives stop(), and the caller removes it. Unset: no persistence.
   */
  persistenceDir?: string
}

function mosquittoConfig(port: number, persistenceDir: string | undefined): string {
  const persistence = persistenceDir === undefined
    ? ['persistence false']
    // The trailing slash is required: mosquitto prepends the location to the file name as is.
    : ['persistence true', `persistence_location ${persistenceDir}/`]
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    ...persistence,
    // Benchmarks publish in bursts; the defaults (1000 queued, 20 in flight) would drop or throttle them.
    'max_queued_messages 100000',
    'max_inflight_messages 1000',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    // Carries the 'mosquitto version … running' line that launch() waits for.
    'log_type information',
    ''
  ].join('\n')
}

/** Started as root, mosquitto drops to its own user, which must be able to write its database. */
async function chownToMosquitto(dir: string): Promise<void> {
  if (!isRoot()) return
  const id = (flag: string): Promise<number> => run('id', [flag, 'mosquitto']).then((out) => Number(out.trim()))
  const [uid, gid] = await Promise.all([id('-u'), id('-g')])
  await chown(dir, uid, gid)
}

async function startMosquittoOn(bin: string, port: number, persistenceDir: string | undefined): Promise<MosquittoServer> {
  if (persistenceDir !== undefined) {
    await mkdir(persistenceDir, { recursive: true })
    await chownToMosquitto(persistenceDir)
  }
  const dir = await makeTempDir('mosquitto')
  const conf = path.join(dir, 'mosquitto.conf')
  await writeFile(conf, mosquittoConfig(port, persistenceDir))
  const readyLog = /mosquitto version \S+ running/
  const stop = await launch({ name: 'mosquitto', bin, args: ['-c', conf], dir, readyLog, probe: () => canConnect(port) })
  return { url: `mqtt://127.0.0.1:${port}`, port, stop }
}

/**
 * A mosquitto broker of our own. If apt started Debian's system service on 1883 we leave
 * it alone: it is not ours to stop, and our port is different.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoServer> {
  const bin = await requireBinaries([{ binary: 'mosquitto', pkg: 'mosquitto' },
    { binary: 'mosquitto_pub', pkg: 'mosquitto-clients' }])
  if (opts.port !== undefined) return startMosquittoOn(bin, opts.port, opts.persistenceDir)
  return withFreshPort((port) => startMosquittoOn(bin, port, opts.persistenceDir))
}

// ---------------------------------------------------------------- PostgreSQL

interface PgDirs { root: string; data: string; sock: string; log: string }

async function postgresBinDir(): Promise<string> {
  const withInitdb = async (): Promise<string | undefined> => {
    for (const dir of await postgresBinDirs()) if (await isExecutable(path.join(dir, 'initdb'))) return dir
    return undefined
  }
  const found = (await withInitdb()) ?? (await installOrExplain(['postgresql']).then(withInitdb))
  if (found === undefined) throw new Error(`no PostgreSQL >= ${PG_MIN_MAJOR} under ${PG_ROOT} after installing postgresql`)
  return found
}

/** initdb and the postmaster refuse to run as root, so as root we run them as `postgres`. */
async function runAsPostgres(cmd: string, args: string[], cwd: string): Promise<string> {
  if (!isRoot()) return run(cmd, args, { cwd })
  const runuser = (await findBinary('runuser')) ?? 'runuser'
  return run(runuser, ['-u', 'postgres', '--', cmd, ...args], { cwd })
}

async function makePgDirs(): Promise<PgDirs> {
  const root = await makeTempDir('pg')
  const dirs = { root, data: path.join(root, 'data'), sock: path.join(root, 'sock'), log: path.join(root, 'postgres.log') }
  await mkdir(dirs.data, { mode: 0o700 })
  await mkdir(dirs.sock, { mode: 0o700 })
  if (isRoot()) await chownToPostgres(dirs)
  return dirs
}

async function chownToPostgres(dirs: PgDirs): Promise<void> {
  const id = (flag: string): Promise<number> => run('id', [flag, 'postgres']).then((out) => Number(out.trim()))
  const [uid, gid] = await Promise.all([id('-u'), id('-g')])
  for (const dir of [dirs.root, dirs.data, dirs.sock]) await chown(dir, uid, gid)
}

async function initdb(bin: string, dirs: PgDirs): Promise<void> {
  // --no-sync: the cluster is thrown away after the run, so a crash-safe initdb buys nothing.
  const args = ['-D', dirs.data, '--auth=trust', '-U', 'postgres', '--encoding=UTF8', '--no-locale', '--no-sync']
  await runAsPostgres(path.join(bin, 'initdb'), args, dirs.root)
}

async function pgCtlStart(bin: string, dirs: PgDirs, port: number): Promise<void> {
  const options = `-p ${port} -k ${dirs.sock} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`
  const args = ['-D', dirs.data, '-l', dirs.log, '-o', options, '-w', '-t', String(READY_TIMEOUT_MS / 1000), 'start']
  try {
    await runAsPostgres(path.join(bin, 'pg_ctl'), args, dirs.root)
  } catch (err) {
    const log = await readFile(dirs.log, 'utf8').catch(() => '')
    throw new Error(`PostgreSQL did not start:\n${tail(log)}`, { cause: err })
  }
}

/** SIGQUIT is PostgreSQL's immediate shutdown; SIGKILL would orphan its backends. */
function quitPostmasterSync(dirs: PgDirs): void {
  const pid = Number(readFileSync(path.join(dirs.data, 'postmaster.pid'), 'utf8').split('\n')[0])
  if (pid > 0) process.kill(pid, 'SIGQUIT')
}

function pgStopper(bin: string, dirs: PgDirs): () => Promise<void> {
  const forget = onExit(() => { bestEffort(() => quitPostmasterSync(dirs)); removeDirSync(dirs.root) })
  return async () => {
    forget()
    await runAsPostgres(path.join(bin, 'pg_ctl'), ['-D', dirs.data, 'stop', '-m', 'fast', '-w'], dirs.root)
    await rm(dirs.root, { recursive: true, force: true })
  }
}

async function startCluster(bin: string, dirs: PgDirs): Promise<{ port: number; stop: () => Promise<void> }> {
  try {
    await initdb(bin, dirs)
    const port = await withFreshPort(async (p) => { await pgCtlStart(bin, dirs, p); return p })
    return { port, stop: pgStopper(bin, dirs) }
  } catch (err) {
    await rm(dirs.root, { recursive: true, force: true })
    throw err
  }
}

/**
 * A throwaway PostgreSQL cluster (newest installed major >= 15) with a `pulsegate_test`
 * database. `dataDir` is its PGDATA; stop() shuts it down and deletes it.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await postgresBinDir()
  const dirs = await makePgDirs()
  const { port, stop } = await startCluster(bin, dirs)
  try {
    const url = await createDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, 'pulsegate_test')
    return { url, dataDir: dirs.data, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Creates an empty database on the server of `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  // Identifiers cannot be bound as parameters, so only plain names are accepted.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`)
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
