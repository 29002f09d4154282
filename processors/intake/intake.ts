import type { CanonicalEvent, HeartbeatRow, QuarantineRow } from '../pipeline/event.js'

/**
 * The path from an accepted input to durable storage. The edges (HTTP, MQTT) hand it what one
 * request or one publish produced and answer only when `submit` resolves: by then everything
 * in the submission is committed. The embedded implementation group-commits straight into the
 * event store; a Redis Streams implementation (scale-out) appends to a stream instead, behind
 * this same interface.
 */
export interface Submission {
  events: CanonicalEvent[]
  heartbeats: HeartbeatRow[]
  quarantine: QuarantineRow[]
}

export type EventOutcome = 'stored' | 'duplicate'

export interface SubmitOptions {
  /**
   * What to do when the queue is full: `'reject'` throws an overload error at once (HTTP
   * answers 429); `'wait'` waits for room (MQTT withholds the PUBACK, which is back-pressure).
   */
  whenFull: 'reject' | 'wait'
}

export interface Intake {
  /** Resolves once the submission is durable, with one outcome per event, in order. */
  submit(s: Submission, opts?: SubmitOptions): Promise<EventOutcome[]>
  /** Rows accepted but not yet committed. */
  depth(): number
  /** Stops taking submissions and resolves when everything taken is committed. */
  close(): Promise<void>
}

export const emptySubmission = (): Submission => ({ events: [], heartbeats: [], quarantine: [] })
