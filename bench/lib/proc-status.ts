/**
 * Memory and open-file limits of benchmark processes, read from Linux /proc. Node raises its
 * own soft open-file limit to the hard limit at start (src/node.cc, `PlatformInit`), so every
 * Node process of a run — gateway, aedes, fleet workers — may hold up to the hard limit of
 * sockets; the connections benchmark checks that before connecting a fleet.
 */
import { readFileSync } from 'node:fs'

/** VmRSS of a process in bytes (`/proc/PID/status` gives kB). */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) * 1024
}

/** The soft and hard `Max open files` of a process. */
export function openFilesLimit(pid: number | 'self'): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? ''
  const [soft = Number.NaN, hard = Number.NaN] = line.replace('Max open files', '').trim().split(/\s+/).map((v) => (v === 'unlimited' ? Infinity : Number(v)))
  return { soft, hard }
}
