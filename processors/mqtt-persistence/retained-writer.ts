import type { Db } from '../db/db.js'
import type { AnyPacket } from './packet-codec.js'
import { encodeRetained, writeRetained, type RetainedRow } from './retained.js'

export interface RetainedWriterOptions {
  /** Messages one batch writes at most. */
  maxBatchMessages?: number
  /** Characters of JSON (headers, base64 payloads) one batch carries at most; a larger message goes alone. */
  maxBatchBytes?: number
}

interface Pending {
  packet: AnyPacket
  row: RetainedRow
  bytes: number
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit for retained messages, as the intake's (processors/intake/group-commit.ts):
 * messages queue while a batch is being written, and the next batch takes everything queued.
 * aedes forwards a retained publish only once it is stored, so when a fleet goes offline in
 * one second its 10,000 statuses would otherwise wait for 10,000 statements, four at a time.
 *
 * One batch at a time: batches then commit in arrival order, so a topic's writes keep their
 * order across batches (two batches on two pool connections could commit the other way round),
 * and `apply` (the in-memory index) sees the packets of each batch in arrival order once it
 * has committed. A caller's promise resolves after both.
 */
export class RetainedWriter {
  readonly #db: Db
  readonly #apply: (packet: AnyPacket) => Promise<void>
  readonly #maxMessages: number
  readonly #maxBytes: number
  readonly #queue: Pending[] = []
  #busy = false

  constructor(db: Db, apply: (packet: AnyPacket) => Promise<void>, opts: RetainedWriterOptions = {}) {
    this.#db = db
    this.#apply = apply
    this.#maxMessages = opts.maxBatchMessages ?? 1_000
    this.#maxBytes = opts.maxBatchBytes ?? 4 * 1024 * 1024
  }

  /** Stores a copy of `packet`; resolves once it is committed and in the index. */
  store(packet: AnyPacket): Promise<void> {
    // Encoded in the executor: a packet JSON cannot hold rejects its caller's promise.
    return new Promise<void>((resolve, reject) => {
      const copy = { ...packet }
      const row = encodeRetained(copy)
      // The header holds the topic, and the payload when it is a string.
      const bytes = row.header.length + (row.payload?.length ?? 0)
      this.#queue.push({ packet: copy, row, bytes, resolve, reject })
      this.#pump()
    })
  }

  // A batch starts one event-loop turn after work arrives, not at once: the publishes read in
  // the same turn join it, and PGlite, which runs a statement without yielding, lets sockets
  // be read between two batches (see group-commit.ts).
  #pump(): void {
    if (this.#busy || this.#queue.length === 0) return
    this.#busy = true
    setImmediate(() => { void this.#next() })
  }

  async #next(): Promise<void> {
    await this.#write(this.#take())
    this.#busy = false
    this.#pump()
  }

  #take(): Pending[] {
    let taken = 0
    let bytes = 0
    // Always one, even when it alone is over the byte limit.
    for (const next of this.#queue) {
      if (taken === this.#maxMessages || (taken > 0 && bytes + next.bytes > this.#maxBytes)) break
      bytes += next.bytes
      taken++
    }
    return this.#queue.splice(0, taken)
  }

  async #write(batch: Pending[]): Promise<void> {
    try {
      await writeRetained(this.#db, batch.map((p) => p.row))
    } catch (err) {
      // One message the database refuses (a `\u0000` in a string payload, which jsonb cannot
      // hold) must not fail the others in its batch: write them one by one, in order, so
      // only the culprit is rejected. When the database is down, every one is.
      if (batch.length > 1) {
        for (const p of batch) await this.#write([p])
      } else {
        for (const p of batch) p.reject(err)
      }
      return
    }
    const settled: Array<() => void> = []
    for (const p of batch) {
      try {
        await this.#apply(p.packet)
        settled.push(p.resolve)
      } catch (err) {
        settled.push(() => p.reject(err))
      }
    }
    for (const settle of settled) settle()
  }
}
