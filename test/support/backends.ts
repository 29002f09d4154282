import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import type { Db } from '../../processors/db/db.js'
import { openPglite } from '../../processors/db/pglite.js'
import { openPostgres } from '../../processors/db/postgres.js'
import { createDatabase } from './services.js'

/** A fresh, empty database of each kind: contract suites run once per entry. */
export const backends: ReadonlyArray<readonly [string, () => Promise<Db>]> = [
  ['pglite', () => openPglite()],
  ['postgres', () => freshPostgres()]
]

export async function freshPostgres(poolSize = 4): Promise<Db> {
  const url = await freshPostgresUrl()
  return openPostgres({ url, poolSize })
}

export async function freshPostgresUrl(): Promise<string> {
  return createDatabase(inject('pgUrl'), `t_${randomBytes(6).toString('hex')}`)
}
