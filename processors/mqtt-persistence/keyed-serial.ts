/**
 * Runs the tasks of one key one after another, and tasks of different keys freely. On
 * PostgreSQL two statements sent in order may commit out of order (they run on different
 * pool connections); the persistence writes a topic's retained message, or a client's
 * subscriptions, through one key so the table and the in-memory index end in the same state.
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
