/**
 * The HTTP benchmark's baselines: the same rows the gateway would write, COPYed straight into
 * the same `events` table (same partitions, same indexes).
 * - Bulk: one connection, 1,000 rows per committed transaction — the floor cost of durably
 *   storing those rows, with none of the gateway's work and none of its job's shape.
 * - Per request: the gateway's job done naively — as many concurrent clients as the gateway
 *   has HTTP connections, each COPYing its own 100-row batch in its own transaction through a
 *   connection pool and waiting for the commit before sending the next: a gateway that COPYs
 *   each request, without HTTP, parsing, validation, dedup or group commit.
 */
import { finished } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { loadConfig } from '../../gateway/config/load.js'
import type { BatchContext } from '../../processors/pipeline/context.js'
import { processBatch } from '../../processors/pipeline/pipeline.js'
import { loadPlan } from '../../processors/plan/compile.js'
import { EVENT_COLUMN_NAMES, eventsCsv } from '../../processors/store/rows.js'
import { withClient } from './pg.js'
import { latencyOf, type Latency } from './stats.js'

const DAY_MS = 86_400_000
/** The app the HTTP benchmark's write key sends as. */
export const BENCH_APP = 'bench'

export interface CopyChunk { rows: number; csv: string }

/** The context the HTTP route gives a batch, with the shipped plan and default limits. */
function httpContext(receivedAt: number): BatchContext {
  const config = loadConfig({ env: {} })
  return {
    appId: BENCH_APP, source: 'http', receivedAt, sentAt: null, schemaVersion: null, plan: loadPlan(), privacyKey: Buffer.from('bench'), checkEventSize: false,
    limits: { maxEventBytes: config.maxEventBytes, skewThresholdMs: config.skewThresholdMs, lateAfterMs: config.lateAfterMs, retentionMs: config.retentionDays * DAY_MS }
  }
}

/**
 * Runs the raw events through the gateway's own pipeline and writes them as the gateway's COPY
 * path does (processors/store/rows.ts), so every column is filled exactly as the gateway fills
 * it; returns the column list and CSV chunks of `rowsPerChunk` rows.
 */
export function copyChunks(raws: ReadonlyArray<readonly unknown[]>, rowsPerChunk: number): { columns: string[]; chunks: CopyChunk[] } {
  const ctx = httpContext(Date.now())
  const events = raws.flatMap((batch) => {
    const { accepted, refused } = processBatch(batch, ctx)
    if (refused.length > 0) throw new Error(`bench events must pass the plan; refused: ${JSON.stringify(refused[0])}`)
    return accepted.map((a) => a.event)
  })
  const chunks: CopyChunk[] = []
  for (let i = 0; i < events.length; i += rowsPerChunk) {
    const slice = events.slice(i, i + rowsPerChunk)
    chunks.push({ rows: slice.length, csv: eventsCsv(slice) })
  }
  return { columns: [...EVENT_COLUMN_NAMES], chunks }
}

export interface CopyResult { rows: number; ms: number; timedOut: boolean }

const copySql = (columns: string[]): string => `COPY events (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`

/** BEGIN; COPY events FROM STDIN; COMMIT of one chunk. */
async function copyChunk(client: pg.ClientBase, sql: string, chunk: CopyChunk): Promise<void> {
  await client.query('BEGIN')
  const stream = client.query(copyFrom(sql))
  stream.end(chunk.csv)
  await finished(stream)
  await client.query('COMMIT')
}

/** One transaction per chunk, in order, on `client`, until done or `deadline`. */
export async function copyRows(client: pg.Client, columns: string[], chunks: CopyChunk[], deadline: number): Promise<CopyResult> {
  const sql = copySql(columns)
  let rows = 0
  const started = performance.now()
  for (const chunk of chunks) {
    if (Date.now() > deadline) return { rows, ms: performance.now() - started, timedOut: true }
    await copyChunk(client, sql, chunk)
    rows += chunk.rows
  }
  return { rows, ms: performance.now() - started, timedOut: false }
}

/** A pool with all its connections open, so a measured round neither pays for nor misses their start. */
export async function openCopyPool(url: string, size: number): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: size, application_name: 'pulsegate-bench-copy' })
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()))
  for (const c of clients) c.release()
  return pool
}

/**
 * The naive gateway: `lanes` clients, each taking the next chunk (one request's batch) and
 * COPYing it in its own transaction on a pooled connection, the next only after the commit.
 * Latency is per request, from asking the pool for a connection to the commit, so queueing for
 * the pool counts as the gateway's queueing for its group commit does.
 */
export async function copyPerRequest(pool: pg.Pool, columns: string[], chunks: CopyChunk[], lanes: number, deadline: number): Promise<CopyResult & { latency: Latency }> {
  const sql = copySql(columns)
  const latencies: number[] = []
  let rows = 0
  let next = 0
  let timedOut = false
  const started = performance.now()
  const lane = async (): Promise<void> => {
    while (next < chunks.length) {
      if (Date.now() > deadline) { timedOut = true; return }
      const chunk = chunks[next++] as CopyChunk
      const sent = performance.now()
      const client = await pool.connect()
      try {
        await copyChunk(client, sql, chunk)
      } finally {
        client.release()
      }
      latencies.push(performance.now() - sent)
      rows += chunk.rows
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return { rows, ms: performance.now() - started, timedOut, latency: latencyOf(latencies) }
}

/**
 * Proves the baseline wrote what the gateway wrote: the rows of `eventIds` in both databases
 * must be equal in every column but `received_at` (the gateway stamps its own receipt time).
 */
export async function compareRows(gatewayUrl: string, copyUrl: string, eventIds: string[]): Promise<{ compared: number; equal: number; firstDiff?: string }> {
  const sql = `SELECT event_id, to_jsonb(e) - 'received_at' AS row FROM events e WHERE event_id = ANY($1) ORDER BY event_id`
  const read = (url: string): Promise<Map<string, string>> => withClient(url, async (c) => {
    const res = await c.query<{ event_id: string; row: unknown }>(sql, [eventIds])
    return new Map(res.rows.map((r) => [r.event_id, JSON.stringify(r.row)]))
  })
  const [gateway, copy] = await Promise.all([read(gatewayUrl), read(copyUrl)])
  let equal = 0
  let firstDiff: string | undefined
  for (const id of eventIds) {
    if (gateway.get(id) !== undefined && gateway.get(id) === copy.get(id)) equal++
    else firstDiff ??= `${id}: gateway ${gateway.get(id) ?? 'missing'} vs COPY ${copy.get(id) ?? 'missing'}`
  }
  return firstDiff === undefined ? { compared: eventIds.length, equal } : { compared: eventIds.length, equal, firstDiff }
}
