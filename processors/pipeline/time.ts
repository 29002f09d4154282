/**
 * Parses a client timestamp: ISO 8601 with a zone (`Z` or `+08:00`), or epoch milliseconds
 * (numbers below 1e11 are read as seconds, as many device SDKs send them). A string without a
 * zone is refused: its instant depends on a zone we would have to guess.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return undefined
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value)
  }
  if (typeof value !== 'string') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return parseTimestamp(Number(value))
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}
