/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_CPU_PROF=dir`): self time per function and per
 * package or source folder, so "what dominates" reads off one table.
 *
 * `node --import tsx bench/lib/profile-summary.ts dir/gateway-http.cpuprofile [top]`
 */
import { readFile } from 'node:fs/promises'
import { isMain, log, runMain } from './main.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  totalMs: number
  /** Share of samples not idle: the main thread running JS, GC or native code. */
  busyShare: number
  /** Entries below are shares of the busy time, idle left out. */
  functions: Array<{ name: string; ms: number; share: number }>
  areas: Array<{ name: string; ms: number; share: number }>
  /** Busy share of each second of the profile: shows whether the thread saturated under load. */
  busyBySecond: number[]
}

/** `node_modules/pg/lib/x.js` → `pg`; `dist/processors/store/x.js` → `processors/store`. */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' ? fn : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
  if (pkg !== undefined) return pkg
  const own = /\/dist\/((?:gateway|processors|bin)(?:\/[^/]+)?)\//.exec(url)?.[1]
  if (own !== undefined) return own
  return url.startsWith('node:') ? `node:${url.slice(5).split('/')[0]}` : url
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms)
}

export function summarise(profile: Profile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const fns = new Map<string, number>()
  const areas = new Map<string, number>()
  const busy: number[] = []
  let totalMs = 0
  let atMs = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    atMs += ms
    if (node === undefined) return
    const { functionName, url, lineNumber } = node.callFrame
    const second = Math.floor(atMs / 1000)
    if (functionName !== '(idle)') busy[second] = (busy[second] ?? 0) + ms / 1000
    const file = url.replace(/^.*\/(node_modules|dist)\//, '$1/')
    add(fns, `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`, ms)
    add(areas, areaOf(url, functionName), ms)
    totalMs += ms
  })
  const idle = (areas.get('(idle)') ?? 0)
  const busyMs = totalMs - idle
  const rank = (m: Map<string, number>): ProfileSummary['functions'] => [...m]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: ms / busyMs }))
  const busyBySecond = Array.from(busy, (b) => Math.min(1, b ?? 0))
  return { totalMs, busyShare: 1 - idle / totalMs, functions: rank(fns), areas: rank(areas), busyBySecond }
}

export async function summariseFile(file: string, top?: number): Promise<ProfileSummary> {
  return summarise(JSON.parse(await readFile(file, 'utf8')) as Profile, top)
}

export function printSummary(file: string, s: ProfileSummary): void {
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)} %`
  log(`\nCPU profile ${file}: ${(s.totalMs / 1000).toFixed(1)} s sampled, main thread busy ${pct(s.busyShare).trim()}`)
  log(`  busy % per second: ${s.busyBySecond.map((b) => Math.round(b * 100)).join(' ')}`)
  log('  share of busy time by area:')
  for (const a of s.areas) log(`    ${pct(a.share)}  ${a.name}`)
  log('  share of busy time by function (self):')
  for (const f of s.functions) log(`    ${pct(f.share)}  ${f.name}`)
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const [file, top] = process.argv.slice(2)
    if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
    printSummary(file, await summariseFile(file, top === undefined ? 25 : Number(top)))
  })
}
