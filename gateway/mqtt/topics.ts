/** What a device topic addresses (SPEC §3): `devices/{device_id}/{kind}`. */
export type TopicKind = 'heartbeat' | 'events' | 'status' | 'commands'

export interface DeviceTopic {
  deviceId: string
  kind: TopicKind
}

const KINDS = new Set<string>(['heartbeat', 'events', 'status', 'commands'])
const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/

/** Parses a device topic; anything else (other trees, extra levels, odd ids) is undefined. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/')
  if (parts.length !== 3 || parts[0] !== 'devices') return undefined
  const [, deviceId, kind] = parts as [string, string, string]
  if (!DEVICE_ID.test(deviceId) || !KINDS.has(kind)) return undefined
  return { deviceId, kind: kind as TopicKind }
}
