import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { errors, PulseGateError } from '../errors.js'
import type { Rejection } from '../pipeline/event.js'
import { combineCauses, DEFAULT_PLAN_PATH, readPlan, type CompiledPlan } from './compile.js'
import { compareVersions, parseVersion, versionKey, type PlanVersion } from './schema-version.js'

/** Which plan validates an input, by the `schema_version` it declares, or why none does. */
export type PlanSelection =
  | { plan: CompiledPlan; flag?: 'schema_version_unknown' }
  | { rejection: Rejection }

export interface PlanSet {
  /** The highest version: inputs without `schema_version` are validated against it. */
  latest: CompiledPlan
  /** Every loaded plan by `major.minor` (`1.0`), however its file spelled the version. */
  versions: ReadonlyMap<string, CompiledPlan>
  select(schemaVersion: string | null): PlanSelection
}

interface Entry extends PlanVersion {
  plan: CompiledPlan
  origin: string
}

/**
 * Loads a plan file, or every `.yaml`/`.yml` file of a directory (one plan version each). All
 * problems of all files are reported in one PG_ERR_PLAN_INVALID, so one start shows them all.
 */
export function loadPlans(path: string = DEFAULT_PLAN_PATH): PlanSet {
  const problems: string[] = []
  const causes: unknown[] = []
  const loaded: Array<{ plan: CompiledPlan; origin: string }> = []
  for (const file of planFiles(path)) {
    const result = readPlan(file)
    if ('plan' in result) loaded.push({ plan: result.plan, origin: file })
    else {
      problems.push(result.detail)
      if (result.cause !== undefined) causes.push(result.cause)
    }
  }
  const { entries, problems: versionProblems } = indexVersions(loaded)
  problems.push(...versionProblems)
  if (problems.length > 0) throw new PulseGateError(errors.PLAN_INVALID, problems.join('; '), { cause: combineCauses(causes) })
  return setOf(entries)
}

/** A plan set of plans compiled in code (tests, embedders); their versions must be distinct major.minor. */
export function planSetOf(plans: readonly CompiledPlan[]): PlanSet {
  const { entries, problems } = indexVersions(plans.map((plan) => ({ plan, origin: `plan ${plan.version}` })))
  if (problems.length > 0 || entries.length === 0) {
    throw new PulseGateError(errors.PLAN_INVALID, problems.length > 0 ? problems.join('; ') : 'no plan given')
  }
  return setOf(entries)
}

/** The file itself, or the directory's YAML files in name order (dot files skipped: editor leftovers). */
export function planFiles(path: string): string[] {
  // A path that cannot be read is left to readPlan, which reports it like any unreadable plan file.
  if (!isDirectory(path)) return [path]
  const files = readdirSync(path).filter((n) => !n.startsWith('.') && /\.ya?ml$/i.test(n)).sort().map((n) => join(path, n))
  if (files.length === 0) throw new PulseGateError(errors.PLAN_INVALID, `${path}: the directory holds no .yaml or .yml file`)
  return files
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Parses each plan's version; two files of one major.minor would make selection ambiguous. */
function indexVersions(plans: ReadonlyArray<{ plan: CompiledPlan; origin: string }>): { entries: Entry[]; problems: string[] } {
  const entries: Entry[] = []
  const problems: string[] = []
  for (const { plan, origin } of plans) {
    const v = parseVersion(plan.version)
    const twin = v === undefined ? undefined : entries.find((e) => compareVersions(e, v) === 0)
    if (v === undefined) problems.push(`${origin}: version ${JSON.stringify(plan.version)} is not major.minor, such as "1.0"`)
    else if (twin !== undefined) problems.push(`${twin.origin} and ${origin} both declare version ${versionKey(v)}`)
    else entries.push({ ...v, plan, origin })
  }
  return { entries: entries.sort(compareVersions), problems }
}

function setOf(sorted: readonly Entry[]): PlanSet {
  const latest = sorted[sorted.length - 1] as Entry
  const versions = new Map(sorted.map((e) => [versionKey(e), e.plan]))
  const known = [...versions.keys()].join(', ')
  return Object.freeze({
    latest: latest.plan,
    versions,
    select: (schemaVersion: string | null) => schemaVersion === null ? { plan: latest.plan } : pick(sorted, schemaVersion, known)
  })
}

/**
 * Minor versions only add (events, optional properties), so a plan at or above the client's
 * minor knows everything the client may send. An unknown minor therefore gets the lowest known
 * minor above it, or the highest known when the client is newer than every plan, flagged so
 * that the mismatch shows. An unknown major may have changed meanings: refused.
 */
function pick(sorted: readonly Entry[], schemaVersion: string, known: string): PlanSelection {
  const v = parseVersion(schemaVersion)
  const sameMajor = v === undefined ? [] : sorted.filter((e) => e.major === v.major)
  if (v === undefined || sameMajor.length === 0) {
    // Truncated: the value comes from the client and ends up in answers and quarantine.
    const shown = JSON.stringify(schemaVersion.slice(0, 64))
    return { rejection: { code: 'unsupported_schema_version', path: '/schema_version', message: `schema_version ${shown} is not supported; known versions: ${known}` } }
  }
  const exact = sameMajor.find((e) => e.minor === v.minor)
  if (exact !== undefined) return { plan: exact.plan }
  const above = sameMajor.find((e) => e.minor > v.minor)
  return { plan: (above ?? sameMajor[sameMajor.length - 1] as Entry).plan, flag: 'schema_version_unknown' }
}
