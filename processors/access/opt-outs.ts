import type { Db } from '../db/db.js'
import { audit } from './audit.js'

export interface OptOut { appId: string; userId: string; createdAt: string }

export interface OptOuts {
  /** Whether this user of this app opted out; a set lookup, on every event. */
  has(appId: string, userId: string): boolean
  /** Adds users (a repeated id counts once); says how many were new and how many already listed. */
  add(appId: string, userIds: readonly string[], actor: string): Promise<{ added: number; already: number }>
  remove(appId: string, userId: string, actor: string): Promise<boolean>
  list(appId: string | null, limit: number, afterUserId?: string): Promise<OptOut[]>
  /** Reloads the set from the store (other replicas' changes); runs on a timer. */
  refresh(): Promise<void>
  close(): void
}

const member = (appId: string, userId: string): string => `${appId}\u0000${userId}`

/**
 * The opt-out list (SPEC §5): kept in `opt_outs` and mirrored in a set, so checking an event
 * costs no query. Changes made through this gateway apply at once; other replicas' changes
 * within `refreshMs`.
 */
export interface OptOutOptions {
  refreshMs?: number
  onError?: (err: Error) => void
  /**
   * The `hash` privacy rule: an opted-out user is recognised by their hashed id too, for inputs
   * that were hashed before the check (a quarantine replay of a plan that hashes `user_id`).
   */
  hash?: (userId: string) => string
}

export async function createOptOuts(db: Db, opts: OptOutOptions = {}): Promise<OptOuts> {
  let set = new Set<string>()
  const addMember = (appId: string, userId: string): void => {
    set.add(member(appId, userId))
    if (opts.hash !== undefined) set.add(member(appId, opts.hash(userId)))
  }
  const refresh = async (): Promise<void> => {
    const { rows } = await db.query<{ app_id: string; user_id: string }>('SELECT app_id, user_id FROM opt_outs')
    const previous = set
    set = new Set()
    try {
      for (const r of rows) addMember(r.app_id, r.user_id)
    } catch (err) {
      set = previous
      throw err
    }
  }
  await refresh()
  const timer = setInterval(() => { refresh().catch((err: Error) => opts.onError?.(err)) }, opts.refreshMs ?? 10_000)
  timer.unref()
  return {
    has: (appId, userId) => set.has(member(appId, userId)),
    async add(appId, userIds, actor) {
      const unique = [...new Set(userIds)]
      const added = await db.transaction(async (tx) => {
        const { rowCount } = await tx.query(
          'INSERT INTO opt_outs (app_id, user_id) SELECT $1, u FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING', [appId, unique])
        await audit(tx, { actor, action: 'opt_out.add', target: appId, details: { users: unique.length, added: rowCount } })
        return rowCount
      })
      for (const u of unique) addMember(appId, u)
      return { added, already: unique.length - added }
    },
    async remove(appId, userId, actor) {
      const removed = await db.transaction(async (tx) => {
        const { rowCount } = await tx.query('DELETE FROM opt_outs WHERE app_id = $1 AND user_id = $2', [appId, userId])
        if (rowCount > 0) await audit(tx, { actor, action: 'opt_out.remove', target: appId })
        return rowCount > 0
      })
      set.delete(member(appId, userId))
      if (opts.hash !== undefined) set.delete(member(appId, opts.hash(userId)))
      return removed
    },
    async list(appId, limit, afterUserId) {
      const { rows } = await db.query<{ app_id: string; user_id: string; created_at: Date }>(
        `SELECT app_id, user_id, created_at FROM opt_outs WHERE ($1::text IS NULL OR app_id = $1) AND ($2::text IS NULL OR user_id > $2)
         ORDER BY app_id, user_id LIMIT $3`, [appId, afterUserId ?? null, limit])
      return rows.map((r) => ({ appId: r.app_id, userId: r.user_id, createdAt: new Date(r.created_at).toISOString() }))
    },
    refresh,
    close: () => clearInterval(timer)
  }
}
