import { eventsMigration } from './0001-events.js'
import { jobsMigration } from './0002-jobs.js'
import { accessMigration } from './0003-access.js'
import { devicesMigration } from './0004-devices.js'
import { mqttPersistenceMigration } from './0005-mqtt-persistence.js'
import { presenceMigration } from './0006-presence.js'
import { mqttAccountsMigration } from './0007-mqtt-accounts.js'
import { statsMigration } from './0008-stats.js'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** In version order; a released migration is never edited, only followed by a new one. */
export const migrations: readonly Migration[] = [eventsMigration, jobsMigration, accessMigration, devicesMigration, mqttPersistenceMigration, presenceMigration, mqttAccountsMigration, statsMigration]
