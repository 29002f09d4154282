import type { Clock } from '../../../processors/presence/memory.js'

interface Timer {
  id: number
  at: number
  fn: () => void
}

/**
 * A clock that moves only when told. Timers fire in order of their due time (ties in the order
 * they were set), each with `now()` equal to its due time, as a perfectly punctual event loop would.
 */
export class ManualClock implements Clock {
  #now: number
  #timers: Timer[] = []
  #seq = 0
  /** Every delay passed to setTimeout, in order. */
  readonly delays: number[] = []

  constructor(start: number) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): { id: number } {
    const timer = { id: ++this.#seq, at: this.#now + ms, fn }
    this.#timers.push(timer)
    this.delays.push(ms)
    return { id: timer.id }
  }

  clearTimeout(handle: unknown): void {
    const id = (handle as { id: number }).id
    this.#timers = this.#timers.filter((t) => t.id !== id)
  }

  /** Due times of the timers still pending, earliest first. */
  get pending(): number[] {
    return this.#timers.map((t) => t.at).sort((a, b) => a - b)
  }

  /** Moves to `time`, firing every timer due by then in order. */
  advanceTo(time: number): void {
    if (time < this.#now) throw new Error(`the clock does not go back (${time} < ${this.#now})`)
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= time).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (due === undefined) break
      this.#timers = this.#timers.filter((t) => t !== due)
      this.#now = Math.max(this.#now, due.at)
      due.fn()
    }
    this.#now = time
  }

  advance(ms: number): void {
    this.advanceTo(this.#now + ms)
  }
}
