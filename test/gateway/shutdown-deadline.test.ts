import { describe, expect, it } from 'vitest'
import { startGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { testConfig } from '../support/gateway.js'

describe('shutdown deadline', () => {
  it('rejects stop() once PULSEGATE_SHUTDOWN_TIMEOUT_MS passes, when a step never finishes', async () => {
    const db = await openPglite()
    // A store whose close never returns: the last shutdown step hangs.
    const stuck = { ...db, close: () => new Promise<void>(() => {}) }
    const running = await startGateway(testConfig({ PULSEGATE_SHUTDOWN_TIMEOUT_MS: '300' }), { db: stuck })
    const started = Date.now()
    await expect(running.stop()).rejects.toThrow('shutdown did not finish within PULSEGATE_SHUTDOWN_TIMEOUT_MS (300 ms)')
    expect(Date.now() - started).toBeLessThan(2000)
    await db.close()
  })
})
