import { eventsMigration } from './0001-events.js'
import { jobsMigration } from './0002-jobs.js'
import { accessMigration } from './0003-access.js'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** In version order; a released migration is never edited, only followed by a new one. */
export const migrations: readonly Migration[] = [eventsMigration, jobsMigration, accessMigration]
