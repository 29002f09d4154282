import { errors, PulseGateError } from '../errors.js'

/**
 * The persistence's work under way, for an ordered shutdown (STYLE 14): `drain` waits for it,
 * including the work it starts in turn (aedes stores a retained message, then queues the
 * packet), and from then on `run` refuses new work with PG_ERR_SHUTTING_DOWN.
 */
export class WorkTracker {
  readonly #pending = new Set<Promise<unknown>>()
  #closed = false

  get closed(): boolean { return this.#closed }

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError())
    const done = work()
    this.#pending.add(done)
    const forget = (): void => { this.#pending.delete(done) }
    done.then(forget, forget)
    return done
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending])
      // Work that settled may have started more in its callbacks: look again after them.
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.#closed = true
  }
}

export function closedError(): PulseGateError {
  return new PulseGateError(errors.SHUTTING_DOWN, 'the MQTT persistence is closed')
}
