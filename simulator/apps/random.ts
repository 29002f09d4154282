/**
 * A seeded PRNG, so one seed always yields the same traffic. mulberry32 (Tommy Ettinger's
 * 32-bit generator, public domain): tiny, fast, and good enough for traffic shapes; not for
 * anything secret. Each traffic source draws from its own stream (seed mixed with the source's
 * name), so how often `next(now)` is called never changes what a source draws.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** Exponential with the given mean: gaps between independent arrivals. */
  exp(mean: number): number
  /** `n` random base-36 characters, for opaque ids. */
  id(n: number): string
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a of a stream name, to derive one independent seed per source. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export function rngFor(seed: number, stream: string): Rng {
  const next = mulberry32((seed ^ hash(stream)) >>> 0)
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    exp: (mean) => -Math.log(1 - next()) * mean,
    id: (n) => Array.from({ length: n }, () => int(0, 35).toString(36)).join('')
  }
}
