import { createWriteStream, type WriteStream } from 'node:fs'
import type { TruthRecord } from './truth.js'

export interface TruthWriter {
  write(record: TruthRecord): void
  /** Counts of records by type (and sent/ack by kind): the progress line and the summary. */
  readonly counts: Record<string, number>
  close(): Promise<void>
}

/** Appends JSONL records to `path` (or only counts them, with no path). */
export function createTruthWriter(path: string | null): TruthWriter {
  const stream: WriteStream | null = path === null ? null : createWriteStream(path, { flags: 'w' })
  const counts: Record<string, number> = {}
  return {
    counts,
    write(record) {
      const key = record.type === 'sent' || record.type === 'ack' ? `${record.type}.${record.kind}` : record.type
      counts[key] = (counts[key] ?? 0) + 1
      stream?.write(JSON.stringify(record) + '\n')
    },
    close: () => new Promise<void>((resolve, reject) => {
      if (stream === null) return resolve()
      stream.end((err?: Error | null) => err ? reject(err) : resolve())
    })
  }
}
