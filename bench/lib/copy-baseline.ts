/**
 * The HTTP benchmark's baseline: the same rows the gateway would write, COPYed straight into
 * the same `events` table (same partitions, same indexes) over one connection, 1,000 rows per
 * committed transaction. It is the floor cost of durably storing those rows in PostgreSQL with
 * none of the gateway's work (HTTP, parsing, validation, dedup, per-request answers).
 */
import { finished } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { loadConfig } from '../../gateway/config/load.js'
import type { BatchContext } from '../../processors/pipeline/context.js'
import { processBatch } from '../../processors/pipeline/pipeline.js'
import { loadPlan } from '../../processors/plan/compile.js'
import { eventRecord } from '../../processors/store/rows.js'
import { withClient } from './pg.js'

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

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`
const arrayElement = (v: unknown): string => `"${String(v).replace(/["\\]/g, '\\$&')}"`

/** One value in COPY's CSV format: unquoted empty is NULL, everything else is quoted. */
function csvValue(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (Array.isArray(v)) return quote(`{${v.map(arrayElement).join(',')}}`)
  if (typeof v === 'object') return quote(JSON.stringify(v))
  return quote(String(v))
}

/**
 * Runs the raw events through the gateway's own pipeline and row mapping, so every column is
 * filled exactly as the gateway fills it; returns the column list and 1,000-row CSV chunks.
 */
export function copyChunks(raws: ReadonlyArray<readonly unknown[]>, rowsPerChunk: number): { columns: string[]; chunks: CopyChunk[] } {
  const ctx = httpContext(Date.now())
  const records = raws.flatMap((batch) => {
    const { accepted, refused } = processBatch(batch, ctx)
    if (refused.length > 0) throw new Error(`bench events must pass the plan; refused: ${JSON.stringify(refused[0])}`)
    return accepted.map((a) => eventRecord(a.event))
  })
  const columns = Object.keys(records[0] ?? {})
  const chunks: CopyChunk[] = []
  for (let i = 0; i < records.length; i += rowsPerChunk) {
    const slice = records.slice(i, i + rowsPerChunk)
    const csv = slice.map((r) => columns.map((c) => csvValue(r[c])).join(',')).join('\n') + '\n'
    chunks.push({ rows: slice.length, csv })
  }
  return { columns, chunks }
}

export interface CopyResult { rows: number; ms: number; timedOut: boolean }

/** BEGIN; COPY events FROM STDIN; COMMIT — once per chunk, on `client`, until done or `deadline`. */
export async function copyRows(client: pg.Client, columns: string[], chunks: CopyChunk[], deadline: number): Promise<CopyResult> {
  const sql = `COPY events (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`
  let rows = 0
  const started = performance.now()
  for (const chunk of chunks) {
    if (Date.now() > deadline) return { rows, ms: performance.now() - started, timedOut: true }
    await client.query('BEGIN')
    const stream = client.query(copyFrom(sql))
    stream.end(chunk.csv)
    await finished(stream)
    await client.query('COMMIT')
    rows += chunk.rows
  }
  return { rows, ms: performance.now() - started, timedOut: false }
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
