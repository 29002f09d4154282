/** aedes-persistence's conformance suite (`abstract.js`), written for node:test's `test(name, fn)`. */
declare module 'aedes-persistence/abstract.js' {
  /** The part of node:test's TestContext the suite uses. */
  export interface SuiteContext {
    plan(count: number): void
    diagnostic(message: string): void
    assert: Record<string, (...args: unknown[]) => unknown>
  }
  export interface AbstractOptions {
    test: (name: string, fn: (t: SuiteContext) => Promise<void>) => void
    /** Builds a fresh, empty persistence for each test. */
    persistence: () => unknown
    /** The persistence is aedes 1.x's async kind: the suite awaits `setup(broker)` itself. */
    testAsync?: boolean
    waitForReady?: boolean
    buildEmitter?: () => unknown
  }
  export default function abstractPersistence(opts: AbstractOptions): void
}
