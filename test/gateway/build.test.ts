import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildGateway } from '../../gateway/build.js'
import { testConfig } from '../support/gateway.js'

describe('buildGateway', () => {
  it('refuses an invalid tracking plan before opening the store, and leaves the data directory free', async () => {
    const config = testConfig()
    const plan = join(config.dataDir, 'plan.yaml')
    writeFileSync(plan, 'version: "1"\nunplanned: sometimes\nevents: {}\n')
    await expect(buildGateway({ ...config, trackingPlan: plan })).rejects.toMatchObject({
      code: 'PG_ERR_PLAN_INVALID', message: `The tracking plan is invalid: ${plan}: unplanned must be reject or accept`
    })
    // Nothing holds the directory: a gateway with a good plan opens it.
    const gw = await buildGateway(config)
    expect(gw.services.db.kind).toBe('pglite')
    await gw.close()
  })
})
