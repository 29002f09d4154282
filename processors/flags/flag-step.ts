import type { CanonicalEvent } from '../pipeline/event.js'
import type { Step } from '../pipeline/pipeline.js'
import { createScanBurstDetector, type ScanBurstOptions } from './scan-burst.js'

export interface FlagStepOptions {
  /** More than `maxScans` `qr_scan` from one device or table QR code within `windowMs` → `suspect_batch`. */
  scanBurst: ScanBurstOptions
  /** A heartbeat whose `latency_ms` is above this → `latency_anomaly`. */
  latencyAnomalyMs: number
  /** Called once per flag added (anomalies by type, SPEC §10). Must not throw. */
  onFlag?: (flag: string, event: CanonicalEvent) => void
}

/** True when a heartbeat's latency is a number above the threshold; shared with the MQTT heartbeat path. */
export function isLatencyAnomaly(latencyMs: unknown, thresholdMs: number): boolean {
  return typeof latencyMs === 'number' && Number.isFinite(latencyMs) && latencyMs > thresholdMs
}

/**
 * The flag stage (SPEC §5 Flags). Unlike the other steps it keeps state, the recent scans per
 * key, so each pipeline builds its own. A flag already on the event (a replay) is not added
 * twice nor reported again.
 */
export function createFlagStep(opts: FlagStepOptions): Step {
  const bursts = createScanBurstDetector(opts.scanBurst)

  function flagOf(event: CanonicalEvent): string | undefined {
    switch (event.eventName) {
      case 'qr_scan': {
        const key = scanKey(event)
        return key !== undefined && bursts.observe(key, event.occurredAt) ? 'suspect_batch' : undefined
      }
      case 'heartbeat_receive':
        return isLatencyAnomaly(event.properties.latency_ms, opts.latencyAnomalyMs) ? 'latency_anomaly' : undefined
      default:
        return undefined
    }
  }

  return function flag(event) {
    const found = flagOf(event)
    if (found === undefined || event.flags.includes(found)) return { ok: true, event }
    const flagged = { ...event, flags: [...event.flags, found] }
    opts.onFlag?.(found, flagged)
    return { ok: true, event: flagged }
  }
}

/**
 * Whose scans are counted together. Seed 001 §5 (事件校验与反作弊): "异常扫码：同设备短时多次
 * `qr_scan` 聚合标注 `suspect_batch`" — many scans from one device in a short time. A phone
 * scanning a table's QR code sends no device id, so the table's code stands in for it (one QR
 * code scanned over and over is the same abuse), then the store. The kind and the app are part
 * of the key so a device id never shares a count with an equal table code.
 */
function scanKey(event: CanonicalEvent): string | undefined {
  const who = whoScanned(event)
  return who === undefined ? undefined : `${event.appId}\u0000${who}`
}

function whoScanned(event: CanonicalEvent): string | undefined {
  const p = event.properties
  if (nonEmpty(event.deviceId)) return `device\u0000${event.deviceId}`
  if (nonEmpty(p.device_id)) return `device\u0000${p.device_id}`
  if (nonEmpty(p.table_code)) return `table\u0000${p.table_code}`
  if (nonEmpty(event.storeId)) return `store\u0000${event.storeId}`
  return undefined
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v !== ''
}
