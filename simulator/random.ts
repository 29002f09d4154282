/**
 * A seeded generator (mulberry32): the same `--seed` gives the same plan, the same jitter and
 * the same event ids, so a run can be repeated and its ground truth compared across runs.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
  /** `base` moved by up to ±`fraction` of itself. */
  jitter(base: number, fraction: number): number
}

export function createRandom(seed: number): Random {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1))
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list')
      return items[int(0, items.length - 1)] as T
    },
    chance: (p) => next() < p,
    jitter: (base, fraction) => base * (1 + (next() * 2 - 1) * fraction)
  }
}
