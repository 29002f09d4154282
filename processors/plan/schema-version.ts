/** A plan or client version as major.minor; patch levels change no event, so they are dropped. */
export interface PlanVersion {
  major: number
  minor: number
}

// `v1.0`, `1.0`, `V1.2`, `1.0.3`; a bare `1` reads as `1.0`, as in semver ranges.
const VERSION = /^[vV]?(\d{1,9})(?:\.(\d{1,9})(?:\.\d{1,9})?)?$/

export function parseVersion(text: string): PlanVersion | undefined {
  const m = VERSION.exec(text)
  if (m === null) return undefined
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) }
}

/** The spelling plan sets are keyed by: `1.0` whether the file said `v1.0`, `1.0.2` or `1`. */
export function versionKey(v: PlanVersion): string {
  return `${v.major}.${v.minor}`
}

export function compareVersions(a: PlanVersion, b: PlanVersion): number {
  return a.major - b.major || a.minor - b.minor
}
