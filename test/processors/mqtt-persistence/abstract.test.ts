import assert from 'node:assert'
import abstractPersistence, { type SuiteContext } from 'aedes-persistence/abstract.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { DbPersistence } from '../../../processors/mqtt-persistence/db-persistence.js'
import { migrate } from '../../../processors/store/migrate.js'
import { backends } from '../../support/backends.js'

/**
 * aedes-persistence's own conformance suite (the one aedes-persistence-redis and -mongodb
 * run), against the database persistence on each backend. The suite is written for node:test:
 * `nodeTest` registers each case with vitest and hands it the part of node:test's context it
 * uses — `t.assert` is node:assert's (non-strict) functions, as in node:test, and `t.plan(n)`
 * fails the case unless exactly n assertions ran.
 */
function nodeTest(name: string, fn: (t: SuiteContext) => Promise<void>): void {
  it(name, async () => {
    let planned: number | undefined
    let ran = 0
    const counted = Object.fromEntries(Object.entries(assert)
      .filter((entry): entry is [string, (...args: unknown[]) => unknown] => typeof entry[1] === 'function')
      .map(([key, f]) => [key, (...args: unknown[]) => { ran++; return f(...args) }]))
    await fn({ plan: (n) => { planned = n }, diagnostic: () => {}, assert: counted })
    if (planned !== undefined) expect(ran, 'assertions run, against t.plan').toBe(planned)
  })
}

const TABLES = 'mqtt_retained, mqtt_subscriptions, mqtt_outgoing, mqtt_incoming, mqtt_wills'

describe.each(backends)('aedes-persistence abstract suite on %s', (_name, open) => {
  let db: Db
  beforeAll(async () => {
    db = await open()
    await migrate(db)
  })
  afterAll(async () => { await db.close() })

  abstractPersistence({
    test: nodeTest,
    testAsync: true,
    // Each case expects an empty persistence: one database per backend, emptied per case.
    persistence: async () => {
      await db.exec(`TRUNCATE ${TABLES} RESTART IDENTITY`)
      return new DbPersistence({ db })
    }
  })
})
