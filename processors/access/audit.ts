import type { Queryable } from '../db/db.js'

/** One admin action (SPEC §11: keys, devices, opt-outs, replays are audited). */
export interface AuditEntry {
  /** The key id that acted, or `system` for what the gateway does by itself. */
  actor: string
  action: string
  target?: string | null
  details?: Record<string, unknown>
}

/** Written in the caller's transaction, so an action and its record commit together. */
export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4::jsonb)',
    [entry.actor, entry.action, entry.target ?? null, JSON.stringify(entry.details ?? {})])
}

export interface AuditRecord extends Required<AuditEntry> { id: number; at: string }

export async function listAudit(db: Queryable, opts: { limit: number; beforeId?: number }): Promise<AuditRecord[]> {
  const { rows } = await db.query<{ id: number; at: Date; actor: string; action: string; target: string | null; details: Record<string, unknown> }>(
    'SELECT id, at, actor, action, target, details FROM audit_log WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2',
    [opts.beforeId ?? null, opts.limit])
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))
}
