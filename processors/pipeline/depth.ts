/**
 * Events may nest at most this deep (the event object is level 1). Deeper input is refused as
 * `too_deep` before any step walks it: serialising or validating it recursively could
 * overflow the stack, and one bad event must never fail its batch (STYLE 10). Privacy masking
 * stops at the same depth.
 */
export const MAX_EVENT_DEPTH = 32

/** True when `value` nests deeper than `limit`; iterative, so the check itself cannot overflow. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (v === null || typeof v !== 'object') continue
    if (depth > limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
    }
  }
  return false
}
