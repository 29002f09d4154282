/**
 * One row of the results table per subject, and the code that prints the table and rewrites
 * the block between the markers in BENCHMARKS.md (the prose around it is kept as written).
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ROOT } from './gateway-process.js'
import { describeMachine, type Machine } from './machine.js'
import { fmtMs, fmtRate, fmtRatio } from './stats.js'

export interface ResultRow {
  benchmark: string
  subject: string
  /** Median over rounds. */
  subjectRate: number
  baseline: string
  baselineRate: number
  unit: string
  /** The baseline's unit when it counts something else (COPY counts rows). */
  baselineUnit?: string
  /** subjectRate ÷ baselineRate. */
  ratio: number
  /** The subject's acknowledgement latency: medians over rounds of each round's p50 and p99 (none: QoS 0). */
  p50Ms: number | undefined
  p99Ms: number | undefined
  /** The baseline's, where it has one. */
  baselineP50Ms?: number
  baselineP99Ms?: number
  /** Ratio of each round, in order: shows the spread behind the median. */
  roundRatios: number[]
  /** What was checked after the rounds (stored counts, equal rows). */
  verified: string
  /**
   * Cells written as given instead of from the figures above: a benchmark of a delay against
   * a target (offline detection, realtime visibility) has no rates to divide.
   */
  cells?: { subjectRate?: string; baselineRate?: string; ratio?: string; roundRatios?: string }
}

/** The rate, ratio and round-ratio cells of a row: from its figures, or as the row gives them. */
function figureCells(r: ResultRow): { subjectRate: string; baselineRate: string; ratio: string; roundRatios: string } {
  return {
    subjectRate: r.cells?.subjectRate ?? `${fmtRate(r.subjectRate)} ${r.unit}`,
    baselineRate: r.cells?.baselineRate ?? `${fmtRate(r.baselineRate)} ${r.baselineUnit ?? r.unit}`,
    ratio: r.cells?.ratio ?? fmtRatio(r.ratio),
    roundRatios: r.cells?.roundRatios ?? r.roundRatios.map(fmtRatio).join(', ')
  }
}

export const START = '<!-- results:start -->'
export const END = '<!-- results:end -->'
const FILE = path.join(ROOT, 'BENCHMARKS.md')

function latencyCell(p50: number | undefined, p99: number | undefined): string {
  return p50 === undefined || p99 === undefined ? '—' : `${fmtMs(p50)} / ${fmtMs(p99)}`
}

export function markdownTable(rows: readonly ResultRow[]): string {
  const head = [
    '| Benchmark | Subject | Subject rate | Baseline | Baseline rate | Ratio (median) | Round ratios | Subject p50 / p99 | Baseline p50 / p99 | Verified |',
    '|---|---|---:|---|---:|---:|---|---:|---:|---|'
  ]
  const body = rows.map((r) => {
    const c = figureCells(r)
    return `| ${[
      r.benchmark, r.subject, c.subjectRate, r.baseline, c.baselineRate, `**${c.ratio}**`, c.roundRatios, latencyCell(r.p50Ms, r.p99Ms),
      latencyCell(r.baselineP50Ms, r.baselineP99Ms), r.verified
    ].join(' | ')} |`
  })
  return [...head, ...body].join('\n')
}

export function printSummary(machine: Machine, rows: readonly ResultRow[]): void {
  const lines = ['', `Machine: ${describeMachine(machine)}`, '', ...rows.map((r) => {
    const c = figureCells(r)
    return `${r.benchmark} — ${r.subject}: ${c.subjectRate} vs ${r.baseline}: ${c.baselineRate}` +
      ` → ratio ${c.ratio} (rounds ${c.roundRatios}); p50/p99 ${latencyCell(r.p50Ms, r.p99Ms)}; ${r.verified}`
  })]
  process.stdout.write(lines.join('\n') + '\n')
}

export function resultsBlock(machine: Machine, rows: readonly ResultRow[], command: string): string {
  return [
    START,
    `Measured ${machine.date} by \`${command}\` on ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.os}.`,
    `Node ${machine.node}; ${machine.postgres}; ${machine.mosquitto}.`,
    '',
    markdownTable(rows),
    END
  ].join('\n')
}

/** Replaces the block between the markers (appends one if the file has none). */
export async function rewriteBenchmarksMd(block: string, file = FILE): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => `# Benchmarks\n\n${START}\n${END}\n`)
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  const next = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + END.length)
    : `${text.trimEnd()}\n\n${block}\n`
  await writeFile(file, next)
}
