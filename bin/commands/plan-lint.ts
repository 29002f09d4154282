import { existsSync, readFileSync } from 'node:fs'
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml'
import { PulseGateError } from '../../processors/errors.js'
import { inspectPlan } from '../../processors/plan/compile.js'
import { lintPlan } from '../../processors/plan/lint.js'
import type { PlanProblem } from '../../processors/plan/plan.js'
import { planFiles } from '../../processors/plan/registry.js'
import { parseVersion, versionKey } from '../../processors/plan/schema-version.js'

const USAGE = 'Usage: pulsegate plan lint <plan.yaml | directory of plan versions>'

interface Finding {
  file: string
  line: number
  col: number
  severity: 'error' | 'warning'
  subject: string
  message: string
}

/** A parsed plan file: its positions, and its version when it states one. */
interface PlanFile {
  file: string
  doc: Document
  lines: LineCounter
  version: string | undefined
  /** YAML read the version as a number: `1.10` became 1.1. */
  numeric: boolean
}

/**
 * `pulsegate plan lint <file-or-dir>`: every problem of every file, one line each, in the
 * `file:line:col` form editors jump to. Exit 0 when only warnings remain, 1 on errors, 2 on usage.
 */
export async function planLint(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const path = args[0]
  if (args.length !== 1 || path === undefined || path.startsWith('-')) return usage(out, USAGE)
  if (!existsSync(path)) return usage(out, `pulsegate plan lint: ${path}: no such file or directory`)
  let files: string[]
  try {
    files = planFiles(path)
  } catch (err) {
    if (err instanceof PulseGateError) return usage(out, `pulsegate plan lint: ${err.message}`)
    throw err
  }
  const findings: Finding[] = []
  const parsed: PlanFile[] = []
  for (const file of files) {
    const result = lintFile(file)
    findings.push(...result.findings)
    if (result.plan !== undefined) parsed.push(result.plan)
  }
  findings.push(...versionFindings(parsed))
  findings.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.col - b.col)
  for (const f of findings) out.write(`${f.file}:${f.line}:${f.col}  ${f.severity}  ${f.subject || '(plan)'}  ${f.message}\n`)
  const errors = findings.filter((f) => f.severity === 'error').length
  out.write(`${count(errors, 'error')}, ${count(findings.length - errors, 'warning')} in ${count(files.length, 'file')}\n`)
  return errors > 0 ? 1 : 0
}

function usage(out: NodeJS.WritableStream, text: string): number {
  out.write(text + '\n')
  return 2
}

/** YAML errors stop at the YAML: a half-read document would only produce misleading plan problems. */
function lintFile(file: string): { findings: Finding[]; plan?: PlanFile } {
  const lines = new LineCounter()
  let doc: Document
  try {
    doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false })
  } catch (err) {
    return { findings: [{ file, line: 1, col: 1, severity: 'error', subject: '', message: (err as Error).message }] }
  }
  const yamlFindings = [...doc.errors.map((e) => ({ e, severity: 'error' as const })), ...doc.warnings.map((e) => ({ e, severity: 'warning' as const }))]
    .map(({ e, severity }) => ({ file, ...lines.linePos(e.pos[0]), severity, subject: '', message: e.message }))
  if (doc.errors.length > 0) return { findings: yamlFindings }
  const js = doc.toJS() as unknown
  const problems = [...inspectPlan(js).problems, ...lintPlan(js)]
  const version = (js as { version?: unknown } | null)?.version
  return {
    findings: [...yamlFindings, ...problems.map((p) => locate(file, doc, lines, p))],
    plan: { file, doc, lines, version: version === undefined || version === null ? undefined : String(version), numeric: typeof version === 'number' }
  }
}

/** What loadPlans would refuse across files: versions that are not major.minor, or one version twice. */
function versionFindings(files: readonly PlanFile[]): Finding[] {
  const findings: Finding[] = []
  const seen = new Map<string, string>()
  for (const { file, doc, lines, version, numeric } of files) {
    if (version === undefined) continue
    const v = parseVersion(version)
    const at = (message: string, severity: Finding['severity'] = 'error'): Finding =>
      locate(file, doc, lines, { path: ['version'], subject: '', message, severity })
    if (numeric) findings.push(at(`version is the number ${version}: quote it, or 1.10 reads as 1.1`, 'warning'))
    if (v === undefined) findings.push(at(`version ${JSON.stringify(version)} is not major.minor, such as "1.0"`))
    else if (seen.has(versionKey(v))) findings.push(at(`version ${versionKey(v)} is also declared by ${String(seen.get(versionKey(v)))}`))
    else seen.set(versionKey(v), file)
  }
  return findings
}

function locate(file: string, doc: Document, lines: LineCounter, p: PlanProblem): Finding {
  return { file, ...lines.linePos(offsetOf(doc, p.path)), severity: p.severity, subject: p.subject, message: p.message }
}

/** Where the deepest key of `path` that exists starts: a missing key points at its parent. */
function offsetOf(doc: Document, path: readonly string[]): number {
  let node: unknown = doc.contents
  let offset = doc.contents?.range?.[0] ?? 0
  for (const key of path) {
    if (!isMap(node)) break
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key)
    if (pair === undefined || !isScalar(pair.key)) break
    offset = pair.key.range?.[0] ?? offset
    node = pair.value
  }
  return offset
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
