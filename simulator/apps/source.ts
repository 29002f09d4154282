/**
 * A source is an arrival process: when its next flow starts, and the flow it starts then.
 * Each source owns a random stream, so sources never disturb each other's draws.
 */
import type { Flow } from './flow.js'
import type { Rng } from './random.js'
import type { Pace } from './time.js'

export interface Source {
  name: string
  /** The start of the next flow, ms since epoch. */
  nextAt: number
  /** Starts the flow due at `nextAt` (and any flows it leads to), then moves `nextAt` on. */
  spawn(): Flow[]
}

export interface SourceContext {
  rng: Rng
  pace: Pace
  /** Number of distinct users ids are drawn from. */
  users: number
  /** Seed, in base 36, put in ids so runs with different seeds never share an id. */
  tag: string
}

export const userOf = (ctx: SourceContext): string => `u${String(ctx.rng.int(1, ctx.users)).padStart(5, '0')}`

export const idOf = (ctx: SourceContext, prefix: string): string => `${prefix}_${ctx.tag}${ctx.rng.id(10)}`

/**
 * Groups time-ordered events into SDK flushes: a flush goes out with the last event that falls
 * within `windowMs` of the first it holds (seed 000's SDK flushes its queue on a timer).
 */
export function flushes<T extends { at: number }>(events: readonly T[], windowMs: number): T[][] {
  const out: T[][] = []
  let current: T[] = []
  for (const e of events) {
    const first = current[0]
    if (first !== undefined && e.at - first.at > windowMs) {
      out.push(current)
      current = []
    }
    current.push(e)
  }
  if (current.length > 0) out.push(current)
  return out
}

/**
 * Flows arriving at random (a Poisson process): each of `ctx.users` users starts one every
 * `everyMs` nominal on average, so the source as a whole starts one every `everyMs / users`.
 */
export function poissonSource(name: string, ctx: SourceContext, startAt: number, everyMs: number, flowAt: (at: number) => Flow): Source {
  const gap = (): number => ctx.rng.exp(ctx.pace.gap(everyMs / ctx.users))
  const source: Source = {
    name,
    nextAt: startAt + gap(),
    spawn: () => {
      const flow = flowAt(source.nextAt)
      source.nextAt += gap()
      return [flow]
    }
  }
  return source
}
