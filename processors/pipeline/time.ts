/**
 * Parses a client timestamp: ISO 8601 with a zone (`Z` or `+08:00`), or epoch milliseconds
 * (numbers below 1e11 are read as seconds, as many device SDKs send them). A string without a
 * zone is refused: its instant depends on a zone we would have to guess.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return undefined
    const ms = value < 1e11 ? Math.round(value * 1000) : Math.round(value)
    return ms <= MAX_MS ? ms : undefined
  }
  if (typeof value !== 'string') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return parseTimestamp(Number(value))
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) || !realDate(value) ? undefined : ms
}

/** Year 9999's last instant: beyond it a Date cannot be written as ISO 8601. */
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** Date.parse rolls impossible days over (Feb 30 → Mar 1); refuse them instead. */
function realDate(iso: string): boolean {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number]
  const probe = new Date(Date.UTC(y, m - 1, d))
  return probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d
}
