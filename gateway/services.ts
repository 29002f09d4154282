import type { Logger } from 'pino'
import type { Db } from '../processors/db/db.js'
import type { DeviceIngest } from '../processors/ingest/device-ingest.js'
import { heartbeatOfEvent } from '../processors/ingest/heartbeat.js'
import { ingestBatch, type BatchAnswer } from '../processors/ingest/ingest-batch.js'
import type { Intake } from '../processors/intake/intake.js'
import { recordTally, refusedTally, type Metrics } from '../processors/metrics/metrics.js'
import type { BatchContext, PipelineLimits } from '../processors/pipeline/context.js'
import type { CanonicalEvent } from '../processors/pipeline/event.js'
import type { CompiledPlan } from '../processors/plan/compile.js'
import type { Presence } from '../processors/presence/presence.js'
import type { RealtimeCounters } from '../processors/realtime/counters.js'
import type { Config } from './config/settings.js'

/** Everything the edges (HTTP routes, broker hooks) use, built once by `buildGateway`. */
export interface GatewayServices {
  config: Config
  log: Logger
  db: Db
  intake: Intake
  plan: CompiledPlan
  privacyKey: Buffer
  limits: PipelineLimits
  metrics: Metrics
  presence: Presence
  counters: RealtimeCounters
  devices: DeviceIngest
  /** An HTTP batch through the pipeline; resolves with the per-event answer once durable. */
  ingestHttp(events: readonly unknown[], ctx: BatchContext): Promise<BatchAnswer>
  /** Sets gauges read from state (devices per store, queue depth) before a scrape. */
  refreshGauges(): void
}

type Parts = Omit<GatewayServices, 'ingestHttp' | 'refreshGauges'>

export function createServices(parts: Parts): GatewayServices {
  return {
    ...parts,
    async ingestHttp(events, ctx) {
      let result: Awaited<ReturnType<typeof ingestBatch>>
      try {
        result = await ingestBatch(events, ctx, parts.intake)
      } catch (err) {
        // Nothing of this batch was acknowledged: count it refused, so the ledger still adds up.
        recordTally(parts.metrics, ctx.source, refusedTally(events.length, err))
        throw err
      }
      // Outside the try: the batch is committed, whatever the realtime sinks do with it.
      recordTally(parts.metrics, ctx.source, result.tally)
      afterCommit(parts, result.stored)
      return result.answer
    },
    refreshGauges: () => refreshGauges(parts)
  }
}

/** Realtime sinks fed from committed events only, so they never count what the store refused. */
function afterCommit(parts: Parts, stored: CanonicalEvent[]): void {
  parts.counters.record(stored)
  for (const e of stored) {
    const hb = heartbeatOfEvent(e)
    if (hb !== null && e.deviceId !== null) parts.devices.beat(e.deviceId, hb, e.receivedAt)
  }
}

function refreshGauges(parts: Parts): void {
  const m = parts.metrics
  m.intakeDepth.set(parts.intake.depth())
  m.devicesKnown.reset()
  m.devicesOnline.reset()
  for (const [store, c] of parts.presence.countsByStore()) {
    m.devicesKnown.set({ store }, c.known)
    m.devicesOnline.set({ store }, c.online)
  }
}
