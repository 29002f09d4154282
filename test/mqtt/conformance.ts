/**
 * The MQTT 3.1.1 behaviours devices rely on (issue 4, item 10), written once and run against
 * every broker PulseGate works with (STYLE §5, as MQTT.js's `abstractStoreTest(build)`).
 * Each case compares whole received messages — topic, payload, QoS, retain and dup — and
 * cites the normative statement of the OASIS MQTT 3.1.1 standard it checks.
 */
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { deviceTracker } from './clients.js'
import type { BrokerUnderTest, CaseContext, Spec } from './context.js'
import { deliveryCases } from './cases-delivery.js'
import { sessionCases } from './cases-session.js'
import { topicCases } from './cases-topics.js'
import { willCases } from './cases-will.js'

export type { BrokerUnderTest } from './context.js'

export interface SuiteOptions {
  /**
   * Case ids this broker is known to fail, each with what it does instead and where the fix
   * is tracked. They run as `it.fails`, with the reason in the test name: the run stays
   * green while the gap is open and turns red once it is fixed, so the entry cannot outlive
   * the gap.
   */
  knownGaps?: Readonly<Record<string, string>>
}

export function conformanceSuite(name: string, factory: () => Promise<BrokerUnderTest>, opts: SuiteOptions = {}): void {
  describe(`MQTT 3.1.1 conformance: ${name}`, () => {
    let broker: BrokerUnderTest | undefined
    const devices = deviceTracker()
    const gaps = new Map(Object.entries(opts.knownGaps ?? {}))
    const spec: Spec = (id, title, fn, timeoutMs) => {
      const gap = gaps.get(id)
      gaps.delete(id)
      if (gap === undefined) it(title, fn, timeoutMs)
      else it.fails(`${title} — KNOWN GAP: ${gap}`, fn, timeoutMs)
    }
    const ctx: CaseContext = {
      spec,
      broker: () => {
        if (broker === undefined) throw new Error(`${name}: the broker did not start`)
        return broker
      },
      connect: (deviceOpts) => devices.connect(ctx.broker().url, deviceOpts)
    }
    beforeAll(async () => { broker = await factory() })
    afterEach(() => devices.endAll())
    afterAll(async () => { await broker?.stop() })

    sessionCases(ctx)
    willCases(ctx)
    deliveryCases(ctx)
    topicCases(ctx)
    // A misspelt gap would otherwise quietly let a known failure through as an ordinary red test.
    if (gaps.size > 0) throw new Error(`${name}: knownGaps name no case: ${[...gaps.keys()].join(', ')}`)
  })
}
