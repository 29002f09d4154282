/**
 * Process plumbing shared by the benchmark entry points: run-alone detection, knobs read from
 * the environment, and making sure no child (gateway, worker) outlives the run.
 */
import type { ChildProcess } from 'node:child_process'
import { pathToFileURL } from 'node:url'

const children = new Set<ChildProcess>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => { for (const child of children) child.kill('SIGKILL') })
  // Ctrl-C would end the process without 'exit' handlers; exiting runs them (and the
  // last-resort cleanups of test/support/services.ts, which stop PostgreSQL and mosquitto).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
}

/** Kills `child` if this process exits first; returns a function that stops watching it. */
export function killOnExit(child: ChildProcess): () => void {
  hookExit()
  children.add(child)
  return () => children.delete(child)
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1]
  return script !== undefined && pathToFileURL(script).href === moduleUrl
}

/** A positive integer knob from the environment (BENCH_*), or its default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive integer`)
  return value
}

/** Runs a benchmark entry point; failures print and set a non-zero exit code. */
export function runMain(fn: () => Promise<void>): void {
  hookExit()
  fn().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}

export const log = (line: string): void => { process.stdout.write(line + '\n') }
