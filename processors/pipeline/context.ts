import type { CompiledPlan } from '../plan/compile.js'
import type { Source } from './event.js'

/** What every event of one input (an HTTP batch, an MQTT publish) shares. */
export interface BatchContext {
  appId: string
  source: Source
  receivedAt: number
  /** When the client sent the batch, if it said so. */
  sentAt: number | null
  schemaVersion: string | null
  plan: CompiledPlan
  /** Key of the `hash` privacy rule (HMAC-SHA256), so hashed identifiers still count exactly. */
  privacyKey: Buffer
  limits: PipelineLimits
  /** Flags every event of this input carries (`schema_version_unknown`). */
  extraFlags?: readonly string[]
  /** Set by a quarantine replay: the payload was masked when it was quarantined. */
  privacyApplied?: boolean
  /** False when the whole input is smaller than `maxEventBytes`, so no event can be over it. */
  checkEventSize: boolean
}

export interface PipelineLimits {
  /** Events whose JSON is larger are refused (`too_large`). */
  maxEventBytes: number
  skewThresholdMs: number
  lateAfterMs: number
  retentionMs: number
}
