/**
 * CPU seconds spent by each party during a round (Linux /proc). On a 2-core machine the
 * gateway, PostgreSQL and the load generators share the cores, so where the CPU went explains
 * a ratio better than the ratio alone.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const TICKS_PER_SECOND = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 } catch { return 100 }
})()

interface ProcStat { pid: number; ppid: number; comm: string; ticks: number }

/** utime + stime of a process (all its threads), or undefined once it is gone. */
function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may hold spaces and parentheses; the fields after the last ')' are fixed.
    const close = text.lastIndexOf(')')
    const fields = text.slice(close + 2).split(' ')
    return { pid, comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

function allStats(): ProcStat[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => readStat(Number(d)) ?? [])
}

/** A process and its direct children (PostgreSQL's postmaster and its backends). */
export function withChildren(pid: number): () => number[] {
  return () => [pid, ...allStats().filter((s) => s.ppid === pid).map((s) => s.pid)]
}

export const single = (pid: number): (() => number[]) => () => [pid]

/** The postmaster of the cluster in `dataDir`, from its postmaster.pid. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
}

/** The mosquitto process whose config file listens on `port`. */
export function mosquittoPid(port: number): number | undefined {
  for (const s of allStats()) {
    if (s.comm !== 'mosquitto') continue
    try {
      const args = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0')
      const conf = args[args.indexOf('-c') + 1]
      if (conf !== undefined && readFileSync(conf, 'utf8').includes(`listener ${port} `)) return s.pid
    } catch { /* gone or not ours */ }
  }
  return undefined
}

export type CpuGroups = Record<string, () => number[]>

/** Busy ticks of the whole machine (all cores), from the first line of /proc/stat. */
function machineBusyTicks(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return user + nice + system + irq + softirq + steal
  } catch {
    return 0
  }
}

/**
 * CPU seconds per group between start() and the returned stop(), plus `other`: what the rest
 * of the machine used meanwhile (other people's work on a shared box shows up there).
 * Processes that exit in between lose their share (short-lived bench connections only; the
 * measured pools stay).
 */
export function startCpuMeter(groups: CpuGroups): () => Record<string, number> {
  const snapshot = (): Map<number, number> => {
    const ticks = new Map<number, number>()
    for (const pids of Object.values(groups)) for (const pid of pids()) ticks.set(pid, readStat(pid)?.ticks ?? 0)
    return ticks
  }
  const before = snapshot()
  const machineBefore = machineBusyTicks()
  return () => {
    const out: Record<string, number> = {}
    let ours = 0
    for (const [name, pids] of Object.entries(groups)) {
      const ticks = pids().reduce((sum, pid) => sum + Math.max(0, (readStat(pid)?.ticks ?? 0) - (before.get(pid) ?? 0)), 0)
      ours += ticks
      out[name] = ticks / TICKS_PER_SECOND
    }
    out.other = Math.max(0, machineBusyTicks() - machineBefore - ours) / TICKS_PER_SECOND
    return out
  }
}

export function fmtCpu(cpu: Record<string, number>): string {
  return Object.entries(cpu).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')
}
