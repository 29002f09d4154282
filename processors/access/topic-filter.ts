/**
 * MQTT topic filters (MQTT 3.1.1 §4.7): `/`-separated levels, `+` one whole level, `#` the
 * rest (last level only). Used for service-account ACLs: an account may publish to a topic its
 * filters match, and subscribe to a filter its filters cover.
 */

/** Why a filter is not a valid MQTT topic filter, or null when it is. */
export function filterProblem(filter: string): string | null {
  if (filter.length === 0 || filter.length > 1024) return 'a topic filter is 1 to 1024 characters'
  if (filter.includes('\u0000')) return 'a topic filter has no NUL character'
  const levels = filter.split('/')
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '`#` must be a whole level, and the last one'
    if (level.includes('+') && level !== '+') return '`+` must be a whole level'
  }
  return null
}

/** Whether a topic (no wildcards) matches a filter. Topics beginning with `$` match no leading wildcard (§4.7.2). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

/**
 * Whether every topic `inner` can match is matched by `outer` as well: a subscription to
 * `inner` then never receives a message outside what `outer` allows.
 */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/')
  const n = inner.split('/')
  if (inner.startsWith('$') !== outer.startsWith('$') && (n[0] === '+' || n[0] === '#' || o[0] === '+' || o[0] === '#')) return false
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true
    if (i >= n.length) return false
    if (n[i] === '#') return false
    if (o[i] !== '+' && o[i] !== n[i]) return false
  }
  return o.length === n.length
}
