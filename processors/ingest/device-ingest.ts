import type { Logger } from 'pino'
import type { Intake } from '../intake/intake.js'
import { bump, emptyTally, recordTally, refusedTally, type Metrics, type Tally } from '../metrics/metrics.js'
import type { HeartbeatRow, QuarantineRow, Rejection } from '../pipeline/event.js'
import type { Presence } from '../presence/presence.js'
import { DEVICES_APP } from '../presence/transition-events.js'
import { isLatencyAnomaly } from '../flags/flag-step.js'
import { MAX_EVENT_DEPTH, nestsDeeperThan } from '../pipeline/depth.js'
import { HeartbeatCoalescer } from './coalesce.js'
import { heartbeatRow, parseHeartbeat, type Heartbeat } from './heartbeat.js'

export interface DeviceIngestDeps {
  intake: Intake
  presence: Presence
  metrics: Metrics
  log: Logger
  /** Interval of devices that do not say theirs. */
  defaultIntervalMs: number
  /** The registered device, whose interval and store win over the heartbeat's (SPEC §3); undefined when not registered. */
  registered(deviceId: string): { heartbeatIntervalS: number; storeId: string } | undefined
  /** Reported latency above which a heartbeat counts as a `latency_anomaly`. */
  latencyAnomalyMs: number
  now?: () => number
}

export interface DeviceIngest {
  /**
   * Handles a heartbeat published on `devices/{deviceId}/heartbeat`. Resolves when it is
   * durable (or deliberately coalesced); rejects only when the store could not commit, in
   * which case the device must not be acknowledged.
   */
  heartbeat(deviceId: string, payload: Buffer, qos: 0 | 1 | 2): Promise<void>
  /** Feeds presence from a heartbeat that arrived another way (an HTTP `heartbeat_receive`). */
  beat(deviceId: string, hb: Heartbeat, at: number): void
}

export function createDeviceIngest(deps: DeviceIngestDeps): DeviceIngest {
  const coalescer = new HeartbeatCoalescer()
  const now = deps.now ?? Date.now
  const beat = (deviceId: string, hb: Heartbeat, at: number): void => {
    const device = deps.registered(deviceId)
    const intervalMs = (device?.heartbeatIntervalS ?? hb.interval_s ?? deps.defaultIntervalMs / 1000) * 1000
    const storeId = device?.storeId ?? hb.store_id ?? null
    deps.presence.beat({ deviceId, storeId, intervalMs, at, online: !(hb.online === 0 || hb.online === false) })
    if (hb.latency_ms !== undefined) deps.metrics.heartbeatLatency.observe(hb.latency_ms / 1000)
    const store = storeId ?? ''
    if (hb.battery_level !== undefined) deps.metrics.battery.observe({ store }, hb.battery_level)
    if (hb.signal_strength !== undefined) deps.metrics.signal.observe({ store }, hb.signal_strength)
  }

  const refuse = async (deviceId: string, payload: Buffer, rejection: Rejection, receivedAt: number): Promise<void> => {
    const tally = { ...emptyTally(), received: 1 }
    bump(tally.rejected, rejection.code)
    deps.log.warn({ deviceId, code: rejection.code, path: rejection.path }, 'heartbeat refused')
    await deps.intake.submit({ events: [], heartbeats: [], quarantine: [quarantineRow(deviceId, payload, rejection, receivedAt)] }, { whenFull: 'wait' })
    recordTally(deps.metrics, 'mqtt', tally)
  }

  const store = async (row: HeartbeatRow, qos: number): Promise<void> => {
    const tally: Tally = { ...emptyTally(), received: 1 }
    if (qos === 0 && !coalescer.shouldStore(row)) {
      bump(tally.dropped, 'coalesced')
    } else {
      // Marked before the commit: heartbeats of one device arrive concurrently, and the next
      // one must already compare against this row.
      coalescer.stored(row)
      await deps.intake.submit({ events: [], heartbeats: [row], quarantine: [] }, { whenFull: 'wait' })
      tally.stored = 1
    }
    recordTally(deps.metrics, 'mqtt', tally)
  }

  return {
    beat,
    async heartbeat(deviceId, payload, qos) {
      const receivedAt = now()
      const parsed = parseHeartbeat(deviceId, payload)
      try {
        if (!parsed.ok) return await refuse(deviceId, payload, parsed.rejection, receivedAt)
        await store(heartbeatRow(deviceId, parsed.heartbeat, parsed.deviceTime, receivedAt, 'mqtt'), qos)
      } catch (err) {
        // Not acknowledged: the ledger counts it refused, and the device retries (QoS 1).
        recordTally(deps.metrics, 'mqtt', refusedTally(1, err))
        throw err
      }
      beat(deviceId, parsed.heartbeat, receivedAt)
      // MQTT heartbeats live in their own table, without flags: the anomaly is counted here
      // (HTTP `heartbeat_receive` events are flagged and counted by the flag step).
      if (isLatencyAnomaly(parsed.heartbeat.latency_ms, deps.latencyAnomalyMs)) deps.metrics.anomalies.inc({ type: 'latency_anomaly' })
    }
  }
}

function quarantineRow(deviceId: string, payload: Buffer, r: Rejection, receivedAt: number): QuarantineRow {
  let body: unknown
  try { body = JSON.parse(payload.toString('utf8')) } catch { body = { raw: payload.toString('base64') } }
  // Kept as text when it nests too deep to be serialised safely into the quarantine row.
  if (nestsDeeperThan(body, MAX_EVENT_DEPTH)) body = { raw: payload.toString('base64').slice(0, 65_536) }
  return { appId: DEVICES_APP, receivedAt, source: 'mqtt', eventId: null, eventName: 'heartbeat_receive', code: r.code, path: r.path, message: r.message, payload: { device_id: deviceId, body }, sentAt: null, schemaVersion: null }
}
