import type { Queryable } from '../db/db.js'

/**
 * The clients that may have rows in one table (queued packets, inbound QoS 2 packets, a Will).
 * aedes asks about every client on every CONNECT and disconnect — replay its queue, discard
 * its QoS 2 state, delete its Will — and for most clients there is nothing: the marks answer
 * those without a statement. A mark may outlive its rows (a later look finds none and
 * removes it), never the reverse: a client is marked before its first row is written.
 *
 * This assumes one broker writes the tables, as the persistence as a whole does.
 */
export class ClientMarks {
  /** Client id → how many times it was marked: a removal checks nothing was marked since its look. */
  readonly #marks = new Map<string, number>()

  async load(db: Queryable, sql: string): Promise<void> {
    const { rows } = await db.query<{ client_id: string }>(sql)
    for (const { client_id: clientId } of rows) this.mark(clientId)
  }

  mark(clientId: string): void {
    this.#marks.set(clientId, (this.#marks.get(clientId) ?? 0) + 1)
  }

  /** Undefined when the client has no rows; otherwise a token for `unmark`. */
  look(clientId: string): number | undefined {
    return this.#marks.get(clientId)
  }

  /** Removes the mark after a look found no rows, unless the client was marked again since. */
  unmark(clientId: string, token: number): void {
    if (this.#marks.get(clientId) === token) this.#marks.delete(clientId)
  }
}
