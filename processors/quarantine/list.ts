import type { Queryable } from '../db/db.js'

/** Filters of `GET /v1/quarantine` and of a replay. */
export interface QuarantineFilter {
  /** Only this app's rows (a read key limited to one app always sets it). */
  appId?: string | null
  code?: string
  eventName?: string
  /** received_at range, epoch ms, `from` inclusive and `to` exclusive. */
  from?: number
  to?: number
  ids?: readonly number[]
  /** Include rows already replayed (listing only; a replay never takes them again). */
  includeReplayed?: boolean
  /** Rows with a greater id than this (paging). */
  afterId?: number
  limit: number
}

export interface QuarantineItem {
  id: number
  app_id: string
  received_at: string
  source: string
  event_id: string | null
  event_name: string | null
  code: string
  path: string | null
  message: string
  payload: unknown
  sent_at: string | null
  schema_version: string | null
  replayed_at: string | null
  replay_event_id: string | null
}

const isoOf = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString())

/** One statement for every combination of filters: a NULL parameter means "any". */
const SELECT = `SELECT id, app_id, received_at, source, event_id, event_name, code, path, message, payload, sent_at, schema_version,
  replayed_at, replay_event_id
FROM quarantine
WHERE ($1::text IS NULL OR app_id = $1) AND ($2::text IS NULL OR code = $2) AND ($3::text IS NULL OR event_name = $3)
  AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
  AND ($6::bigint[] IS NULL OR id = ANY($6)) AND ($7::boolean OR replayed_at IS NULL) AND id > $8
ORDER BY id LIMIT $9`

type Row = Omit<QuarantineItem, 'received_at' | 'sent_at' | 'replayed_at' | 'id'> & { id: number | string; received_at: Date; sent_at: Date | null; replayed_at: Date | null }

export async function listQuarantine(db: Queryable, f: QuarantineFilter, forUpdate = false): Promise<QuarantineItem[]> {
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())
  const { rows } = await db.query<Row>(SELECT + (forUpdate ? ' FOR UPDATE SKIP LOCKED' : ''), [
    f.appId ?? null, f.code ?? null, f.eventName ?? null, iso(f.from), iso(f.to),
    f.ids === undefined ? null : [...f.ids], f.includeReplayed === true, f.afterId ?? 0, f.limit
  ])
  return rows.map((r) => ({
    ...r, id: Number(r.id), received_at: isoOf(r.received_at) as string, sent_at: isoOf(r.sent_at), replayed_at: isoOf(r.replayed_at)
  }))
}
