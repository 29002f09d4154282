import type { HeartbeatRow } from '../pipeline/event.js'

/** At least one raw row per device per minute, whatever else happens (SPEC §6). */
export const FLOOR_MS = 60_000

/** How far a value may move before the change is worth a row. */
export const TOLERANCE = { latencyMs: 50, batteryLevel: 1, signalStrength: 5 } as const

/**
 * Decides which QoS 0 heartbeats become raw rows: a row when something changed beyond its
 * tolerance, or a minute has passed since the device's last row. The rest are counted as
 * `coalesced`. QoS 1 heartbeats are always stored (the device asked for an acknowledgement).
 */
export class HeartbeatCoalescer {
  #last = new Map<string, HeartbeatRow>()

  shouldStore(row: HeartbeatRow): boolean {
    const prev = this.#last.get(row.deviceId)
    return prev === undefined || row.receivedAt - prev.receivedAt >= FLOOR_MS || changed(prev, row)
  }

  stored(row: HeartbeatRow): void {
    this.#last.set(row.deviceId, row)
  }
}

function changed(a: HeartbeatRow, b: HeartbeatRow): boolean {
  return a.online !== b.online || a.storeId !== b.storeId || a.tableId !== b.tableId ||
    moved(a.latencyMs, b.latencyMs, TOLERANCE.latencyMs) ||
    moved(a.batteryLevel, b.batteryLevel, TOLERANCE.batteryLevel) ||
    moved(a.signalStrength, b.signalStrength, TOLERANCE.signalStrength)
}

function moved(a: number | null, b: number | null, tolerance: number): boolean {
  if (a === null || b === null) return a !== b
  return Math.abs(a - b) >= tolerance
}
