import type { Logger } from 'pino'
import type { Db } from '../processors/db/db.js'
import type { DeviceIngest } from '../processors/ingest/device-ingest.js'
import { heartbeatOfEvent } from '../processors/ingest/heartbeat.js'
import { ingestBatch, type BatchAnswer } from '../processors/ingest/ingest-batch.js'
import type { Intake } from '../processors/intake/intake.js'
import { recordTally, refusedTally, type Metrics } from '../processors/metrics/metrics.js'
import type { BatchContext, PipelineLimits } from '../processors/pipeline/context.js'
import type { CanonicalEvent, Rejection, Source } from '../processors/pipeline/event.js'
import type { PlanSet } from '../processors/plan/registry.js'
import type { Presence } from '../processors/presence/presence.js'
import type { RealtimeCounters } from '../processors/realtime/counters.js'
import type { KeyRing } from '../processors/access/key-ring.js'
import type { OptOuts } from '../processors/access/opt-outs.js'
import type { DeviceDirectory } from '../processors/devices/directory.js'
import type { DeviceRegistry } from '../processors/devices/registry.js'
import type { MqttAccounts } from '../processors/access/mqtt-accounts.js'
import type { OpeningHoursCache } from '../processors/stores/hours-cache.js'
import type { StoreRegistry } from '../processors/stores/registry.js'
import type { Steps } from '../processors/pipeline/pipeline.js'
import type { QuarantineFilter, QuarantineItem } from '../processors/quarantine/list.js'
import { replayQuarantine, type ReplayResult } from '../processors/quarantine/replay.js'
import type { StatsDeps } from '../processors/stats/rollup.js'
import type { Config } from './config/settings.js'

/** Everything the edges (HTTP routes, broker hooks) use, built once by `buildGateway`. */
export interface GatewayServices {
  config: Config
  log: Logger
  db: Db
  intake: Intake
  /** Every loaded tracking-plan version; an input is validated against the one it declares. */
  plans: PlanSet
  privacyKey: Buffer
  limits: PipelineLimits
  metrics: Metrics
  presence: Presence
  counters: RealtimeCounters
  devices: DeviceIngest
  keys: KeyRing
  optOuts: OptOuts
  /** Registered devices and their credentials (SPEC §3). */
  deviceRegistry: DeviceRegistry
  /** Every registered device's store, interval and state, in memory (heartbeats, gauges). */
  deviceDirectory: DeviceDirectory
  /** MQTT service accounts of tools (SPEC §3). */
  mqttAccounts: MqttAccounts
  /** Stores and their opening hours (SPEC §6). */
  storeRegistry: StoreRegistry
  /** Every store's opening hours, compiled in memory (presence asks it on its timer). */
  openingHours: OpeningHoursCache
  /** The metric catalog, the statistics zone and the store the rollups write (SPEC §8). */
  stats: StatsDeps
  /** The pipeline's steps, built once with this gateway's state (opt-outs, flags). */
  steps: Steps
  /** Privacy for inputs going to quarantine. */
  maskForQuarantine(raw: unknown): unknown
  /** A batch of events (HTTP, or an MQTT `events` publish) through the pipeline; resolves with the per-event answer once durable. */
  ingest(events: readonly unknown[], ctx: BatchContext, preRejected?: ReadonlyMap<number, Rejection>): Promise<BatchAnswer>
  /** Replays quarantined inputs against today's plan (admin). */
  replay(filter: QuarantineFilter, actor: string): Promise<Omit<ReplayResult, 'tally'>>
  /** Sets gauges read from state (devices per store, queue depth) before a scrape. */
  refreshGauges(): void
}

type Parts = Omit<GatewayServices, 'ingest' | 'refreshGauges' | 'replay'>

export function createServices(parts: Parts): GatewayServices {
  return {
    ...parts,
    async ingest(events, ctx, preRejected) {
      let result: Awaited<ReturnType<typeof ingestBatch>>
      try {
        result = await ingestBatch(events, ctx, parts.intake, { steps: parts.steps, preRejected, maskForQuarantine: parts.maskForQuarantine })
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
    async replay(filter, actor) {
      const { tally, ...answer } = await replayQuarantine({ db: parts.db, intake: parts.intake, steps: parts.steps, contextOf: (item) => replayContext(parts, item) }, filter, actor)
      // A source of its own: these inputs were counted as received and rejected when they first came.
      recordTally(parts.metrics, 'replay', tally)
      return answer
    },
    refreshGauges: () => refreshGauges(parts)
  }
}

/** Realtime sinks fed from committed events only, so they never count what the store refused. */
function afterCommit(parts: Parts, stored: CanonicalEvent[]): void {
  // Not awaited: the answer must not wait for a Redis round trip, and record() never rejects
  // (failures are counted and logged). The embedded counters apply the batch before returning.
  void parts.counters.record(stored)
  for (const e of stored) {
    const hb = heartbeatOfEvent(e)
    if (hb !== null && e.deviceId !== null) parts.devices.beat(e.deviceId, hb, e.receivedAt)
  }
}

/**
 * A quarantined row is replayed as it first arrived, against today's plan of the version it
 * declared; a version no plan knows yet is refused again, not validated by another plan.
 */
function replayContext(parts: Parts, item: QuarantineItem): { ctx: BatchContext; refusal?: Rejection } {
  const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso))
  const selected = parts.plans.select(item.schema_version)
  const ctx: BatchContext = {
    appId: item.app_id, source: item.source as Source, receivedAt: Date.parse(item.received_at), sentAt: ms(item.sent_at),
    schemaVersion: item.schema_version, plan: 'plan' in selected ? selected.plan : parts.plans.latest,
    extraFlags: 'plan' in selected && selected.flag !== undefined ? [selected.flag] : [],
    privacyKey: parts.privacyKey, limits: parts.limits, checkEventSize: true
  }
  return 'rejection' in selected ? { ctx, refusal: selected.rejection } : { ctx }
}

/**
 * Devices known per store are the enabled registered devices (under their registered store)
 * and every other device presence has seen; online ones are those presence has online. So a
 * registered device that never connected since the start counts against the online rate.
 */
function refreshGauges(parts: Parts): void {
  const m = parts.metrics
  m.intakeDepth.set(parts.intake.depth())
  m.realtimeFailures.set(parts.counters.errors())
  const registered = new Map(parts.deviceDirectory.entries())
  const counts = new Map<string, { known: number; online: number }>()
  const count = (store: string, online: boolean): void => {
    const c = counts.get(store) ?? { known: 0, online: 0 }
    c.known++
    if (online) c.online++
    counts.set(store, c)
  }
  for (const d of parts.presence.list()) {
    const r = registered.get(d.deviceId)
    registered.delete(d.deviceId)
    if (r?.enabled === false) continue
    count(r?.storeId ?? d.storeId ?? '', d.online)
  }
  for (const r of registered.values()) if (r.enabled) count(r.storeId, false)
  m.devicesKnown.reset()
  m.devicesOnline.reset()
  for (const [store, c] of counts) {
    m.devicesKnown.set({ store }, c.known)
    m.devicesOnline.set({ store }, c.online)
  }
}
