import type { TestContext } from 'vitest'
import type { Device, DeviceOptions } from './clients.js'

/** A broker the conformance suite runs against; the suite owns it from factory() to stop(). */
export interface BrokerUnderTest {
  /** mqtt:// URL devices connect to, anonymously. */
  url: string
  /**
   * Stops the broker and starts it again at the same URL with whatever it persists. Omitted
   * when the broker under test cannot be restarted: the restart case then does not run.
   */
  restart?: () => Promise<void>
  stop(): Promise<void>
}

/**
 * Registers one case under a short stable `id` (what `knownGaps` names): `it`, or `it.fails`
 * for a gap the broker under test is known to have.
 */
export type Spec = (id: string, title: string, fn: (t: TestContext) => Promise<void>, timeoutMs?: number) => void

/** What a group of cases gets from the suite. */
export interface CaseContext {
  spec: Spec
  broker(): BrokerUnderTest
  /** Connects a device that the suite ends after the case, whatever the case left behind. */
  connect(opts: DeviceOptions): Promise<Device>
}
