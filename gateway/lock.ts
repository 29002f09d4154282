import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { errors, PulseGateError } from '../processors/errors.js'

export interface DirLock {
  path: string
  release(): void
}

/**
 * One process at a time opens an embedded data directory (PGlite is one connection in one
 * process; two would corrupt it). The lock file holds the owner's pid; a lock whose process is
 * gone (a crash, kill -9) is stale and taken over.
 */
export function lockDataDir(dir: string): DirLock {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'pulsegate.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return { path, release: () => releaseIfOurs(path) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = readOwner(path)
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
        throw new PulseGateError(errors.DATA_DIR_LOCKED, `${dir} is held by process ${owner}; stop it, or give this process another PULSEGATE_DATA_DIR`)
      }
      rmSync(path, { force: true })
    }
  }
  throw new PulseGateError(errors.DATA_DIR_LOCKED, `${dir}: could not take ${path}`)
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function releaseIfOurs(path: string): void {
  if (readOwner(path) === process.pid) rmSync(path, { force: true })
}
