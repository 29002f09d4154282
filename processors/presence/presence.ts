/** Why a device changed state (SPEC §6). */
export type TransitionReason = 'first_heartbeat' | 'heartbeat_timeout' | 'will' | 'status' | 'keepalive' | 'closed'

export interface Transition {
  deviceId: string
  storeId: string | null
  online: boolean
  reason: TransitionReason
  at: number
}

export interface DeviceState {
  deviceId: string
  storeId: string | null
  online: boolean
  lastSeen: number
  /** When the device goes offline unless it heartbeats again. */
  deadline: number
  since: number
  reason: TransitionReason
}

export interface Beat {
  deviceId: string
  storeId: string | null
  intervalMs: number
  at: number
  /** `online: 0` in a heartbeat is the device saying it is going offline. */
  online: boolean
  /** Why the device comes online if it was not: `first_heartbeat` unless said (`status`). */
  reason?: TransitionReason
}

/**
 * One presence state per device. A device is online from its first valid heartbeat until it
 * misses 3 intervals or says it is offline. The embedded implementation keeps it in process;
 * the scale-out one will keep deadlines in Redis so any replica's heartbeat counts.
 */
export interface Presence {
  beat(b: Beat): Transition | null
  offline(deviceId: string, reason: TransitionReason, at: number): Transition | null
  onTransition(listener: (t: Transition) => void): void
  /**
   * Resumes states saved or rebuilt at start, without emitting transitions: an online device
   * whose deadline has already passed goes offline at that deadline (its true time).
   */
  restore(states: readonly DeviceState[]): void
  get(deviceId: string): DeviceState | undefined
  list(): DeviceState[]
  /** Devices known and online, per store (`''` for devices with no store). */
  countsByStore(): Map<string, { known: number; online: number }>
  close(): void
}

/** Missed intervals after which a device is offline. */
export const MISSED_INTERVALS = 3
