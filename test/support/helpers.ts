import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PulseGateError } from '../../processors/errors.js'

/** The error `fn` throws, for whole-shape assertions; fails the test when it does not throw. */
export function thrown(fn: () => unknown): PulseGateError {
  try {
    fn()
  } catch (err) {
    return err as PulseGateError
  }
  throw new Error('expected a throw')
}

/** A temp folder for a test file's fixtures: `write(name, text)` returns the path; `remove()` in afterAll. */
export function fixtureDir(prefix: string): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {
    dir,
    write(name, text) {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    },
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** A deterministic PRNG (mulberry32), so a failing randomised case can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
