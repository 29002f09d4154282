/**
 * Runs the tasks of one key one after another, and tasks of different keys freely. On
 * PostgreSQL two statements sent in order may commit out of order (they run on different
 * pool connections); the persistence writes a client's subscriptions (or its Will, or its
 * QoS 2 state) through one key so the table and what is held in memory end in the same state.
 * Retained messages keep their order by other means: see RetainedWriter.
 */
export class KeyedSerial {
  readonly #tails = new Map<string, Promise<void>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    // The next task starts whether the previous one succeeded or failed.
    const result = previous.then(task)
    const tail = result.then(settled, settled)
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }
}

function settled(): void {}
