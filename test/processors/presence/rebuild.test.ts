import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createPartitions } from '../../../processors/maintenance/partitions-job.js'
import { clearSavedPresence, loadPresence, savePresence } from '../../../processors/presence/rebuild.js'
import { transitionEvent } from '../../../processors/presence/transition-events.js'
import { createEventStore } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

const MIN = 60_000

describe.each(backends)('presence rebuild on %s', (_name, open) => {
  let db: Db
  beforeEach(async () => {
    db = await open()
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
  })
  afterEach(async () => { await db.close() })

  it('resumes a graceful snapshot exactly, and forgets it once cleared', async () => {
    const states = [
      { deviceId: 'a', storeId: 's1', online: true, lastSeen: 1_000_000, deadline: 1_015_000, since: 990_000, reason: 'first_heartbeat' as const },
      { deviceId: 'b', storeId: null, online: false, lastSeen: 2_000_000, deadline: 2_009_000, since: 2_005_000, reason: 'will' as const }
    ]
    await savePresence(db, states)
    expect(await loadPresence(db, { defaultIntervalMs: 5000, startedAt: 9_000_000 })).toEqual(states)
    await clearSavedPresence(db)
    expect(await loadPresence(db, { defaultIntervalMs: 5000, startedAt: 9_000_000 })).toEqual([])
  })

  it('after a crash, rebuilds from the last transition and the last heartbeat row, with a grace of 3 intervals from the restart', async () => {
    const now = Date.now()
    const store = createEventStore(db)
    const t = (deviceId: string, online: boolean, at: number, reason: 'first_heartbeat' | 'heartbeat_timeout') =>
      transitionEvent({ deviceId, storeId: 's1', online, reason, at }, at)
    await store.write({
      events: [t('up', true, now - 10 * MIN, 'first_heartbeat'), t('down', true, now - 20 * MIN, 'first_heartbeat'), t('down', false, now - 15 * MIN, 'heartbeat_timeout')],
      heartbeats: [{ deviceId: 'up', receivedAt: now - 2 * MIN, deviceTime: null, storeId: 's1', tableId: null, online: 1, latencyMs: 10, batteryLevel: null, signalStrength: null, source: 'mqtt' }],
      quarantine: []
    })
    const rebuilt = await loadPresence(db, { defaultIntervalMs: 5000, startedAt: now })
    expect(rebuilt.sort((x, y) => x.deviceId.localeCompare(y.deviceId))).toEqual([
      { deviceId: 'down', storeId: 's1', online: false, lastSeen: now - 15 * MIN, deadline: now - 15 * MIN + 15_000, since: now - 15 * MIN, reason: 'heartbeat_timeout' },
      { deviceId: 'up', storeId: 's1', online: true, lastSeen: now - 2 * MIN, deadline: now + 15_000, since: now - 10 * MIN, reason: 'first_heartbeat' }
    ])
  })
})
