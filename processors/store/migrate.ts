import type { Logger } from 'pino'
import type { Db } from '../db/db.js'
import { migrations, type Migration } from './migrations/index.js'

/** Any constant: the advisory lock that keeps two processes from migrating at once. */
const MIGRATION_LOCK = 7_011_001

/**
 * Applies the migrations not yet applied, each in its own transaction, in version order.
 * Several processes may start together against one PostgreSQL: the transaction-scoped
 * advisory lock makes the others wait and then find nothing left to do.
 */
export async function migrate(db: Db, log?: Logger, list: readonly Migration[] = migrations): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
  const applied: number[] = []
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])
      if (seen.rows.length > 0) return false
      for (const statement of splitStatements(m.sql)) await tx.query(statement)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      return true
    })
    if (done) {
      applied.push(m.version)
      log?.info({ version: m.version, name: m.name }, 'migration applied')
    }
  }
  return applied
}

/** Our migrations hold no `;` inside literals or function bodies, so a plain split is exact. */
function splitStatements(sql: string): string[] {
  return sql.split(';').map((s) => s.trim()).filter((s) => s.length > 0)
}
