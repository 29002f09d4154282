import { execFile } from 'node:child_process'
import os from 'node:os'
import { promisify } from 'node:util'
import { findBinary } from '../../test/support/services.js'

const execFileP = promisify(execFile)

/** What a published number depends on; printed with every run and written to BENCHMARKS.md. */
export interface Machine {
  cores: number
  cpuModel: string
  memoryGiB: number
  os: string
  node: string
  postgres: string
  mosquitto: string
  date: string
}

/** First line a binary prints, whatever its exit code (`mosquitto -h` exits non-zero). */
async function firstLine(binary: string, args: string[]): Promise<string> {
  const bin = await findBinary(binary)
  if (bin === undefined) return `${binary}: not installed`
  const out = await execFileP(bin, args).catch((err: { stdout?: string; stderr?: string }) => err)
  const text = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim()
  return text.split('\n')[0]?.trim() ?? 'unknown'
}

export async function machineInfo(): Promise<Machine> {
  const [postgres, mosquitto] = await Promise.all([firstLine('postgres', ['--version']), firstLine('mosquitto', ['-h'])])
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    mosquitto,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'
  }
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ${m.postgres}; ${m.mosquitto}; ${m.date}`
}
