/** The canonical event (SPEC §2): every input becomes one of these before anything else sees it. */
export type Source = 'mqtt' | 'http' | 'server'

export interface CanonicalEvent {
  /** Which app's key space `eventId` is unique in. */
  appId: string
  eventId: string
  eventName: string
  /** As the client sent it, epoch ms; never changed. */
  eventTime: number
  sentAt: number | null
  receivedAt: number
  /** The time statistics use: `eventTime`, corrected when the client's clock is off. */
  occurredAt: number
  skewMs: number
  source: Source
  schemaVersion: string | null
  storeId: string | null
  deviceId: string | null
  userId: string | null
  sessionId: string | null
  platform: string | null
  appVersion: string | null
  channel: string | null
  deviceType: string | null
  correlationId: string | null
  properties: Record<string, unknown>
  flags: string[]
}

/** The canonical id fields a tracking plan may also declare as properties, and where they live. */
export const CANONICAL_VALUE = {
  user_id: 'userId', session_id: 'sessionId', store_id: 'storeId', device_id: 'deviceId'
} as const satisfies Record<string, keyof CanonicalEvent>

/** One raw heartbeat row (SPEC §6): its own table, not `events`. */
export interface HeartbeatRow {
  deviceId: string
  receivedAt: number
  deviceTime: number | null
  storeId: string | null
  tableId: string | null
  online: 0 | 1
  latencyMs: number | null
  batteryLevel: number | null
  signalStrength: number | null
  source: Source
}

/** Why an input was refused; stable codes clients match on. */
export interface Rejection {
  code: string
  /** JSON path of the offending value inside the event, `''` for the event itself. */
  path: string
  message: string
  /** Set when the input is dropped on purpose (opt-out), not refused: counted, not quarantined. */
  drop?: true
}

/** A refused input kept for inspection and replay (privacy already applied). */
export interface QuarantineRow {
  appId: string
  receivedAt: number
  source: Source
  eventId: string | null
  eventName: string | null
  code: string
  path: string
  message: string
  payload: unknown
  /** The batch's context, so a replay sees the event as it first arrived. */
  sentAt: number | null
  schemaVersion: string | null
}
