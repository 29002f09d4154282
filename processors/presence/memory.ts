import { DeadlineHeap } from './deadline-heap.js'
import { MISSED_INTERVALS, type DeviceState, type Presence, type Transition, type TransitionReason } from './presence.js'

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): { unref?(): unknown } | unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
}

/**
 * Presence in process memory. Each device has its own deadline; one timer is armed for the
 * earliest of them (a heap), so a device goes offline at its deadline, not at the next tick
 * of a periodic scan.
 */
export interface MemoryPresenceOptions {
  /**
   * Whether the device's store is open at an instant. A device whose deadline passes while its
   * store is closed goes offline as `closed` (expected, no alarm), not `heartbeat_timeout`.
   */
  storeOpen?: (storeId: string | null, at: number) => boolean
}

export function createMemoryPresence(clock: Clock = systemClock, opts: MemoryPresenceOptions = {}): Presence {
  const devices = new Map<string, DeviceState>()
  const heap = new DeadlineHeap()
  const listeners: Array<(t: Transition) => void> = []
  let timer: unknown
  let armedAt = Infinity

  const emit = (t: Transition): Transition => {
    for (const l of listeners) l(t)
    return t
  }
  const arm = (): void => {
    const next = heap.peek()
    if (next === undefined || next.at >= armedAt) return
    if (timer !== undefined) clock.clearTimeout(timer)
    armedAt = next.at
    timer = clock.setTimeout(expire, Math.max(0, next.at - clock.now()))
  }
  const expire = (): void => {
    timer = undefined
    armedAt = Infinity
    const now = clock.now()
    for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
      heap.pop()
      const d = devices.get(top.id)
      if (d?.online === true && d.deadline === top.at) {
        setOffline(d, opts.storeOpen?.(d.storeId, d.deadline) === false ? 'closed' : 'heartbeat_timeout', d.deadline)
      }
    }
    arm()
  }
  const setOffline = (d: DeviceState, reason: TransitionReason, at: number): Transition => {
    d.online = false
    d.since = at
    d.reason = reason
    return emit({ deviceId: d.deviceId, storeId: d.storeId, online: false, reason, at })
  }

  return {
    beat(b) {
      const deadline = b.at + MISSED_INTERVALS * b.intervalMs
      const d = devices.get(b.deviceId)
      // Concurrent heartbeats of one device may be reported out of order: never move backwards.
      if (d !== undefined && b.at < d.lastSeen) return null
      if (!b.online) {
        if (d !== undefined) d.lastSeen = b.at
        return d?.online === true ? setOffline(d, 'status', b.at) : null
      }
      if (d === undefined) {
        devices.set(b.deviceId, { deviceId: b.deviceId, storeId: b.storeId, online: true, lastSeen: b.at, deadline, since: b.at, reason: 'first_heartbeat' })
      } else {
        Object.assign(d, { lastSeen: b.at, deadline, storeId: b.storeId ?? d.storeId })
      }
      heap.push({ at: deadline, id: b.deviceId })
      arm()
      if (d?.online === true) return null
      const reason = b.reason ?? 'first_heartbeat'
      if (d === undefined) (devices.get(b.deviceId) as DeviceState).reason = reason
      else Object.assign(d, { online: true, since: b.at, reason })
      return emit({ deviceId: b.deviceId, storeId: d?.storeId ?? b.storeId, online: true, reason, at: b.at })
    },
    offline(deviceId, reason, at) {
      const d = devices.get(deviceId)
      return d?.online === true ? setOffline(d, reason, at) : null
    },
    onTransition: (l) => { listeners.push(l) },
    restore(states) {
      for (const st of states) {
        if (devices.has(st.deviceId)) continue
        devices.set(st.deviceId, { ...st })
        if (st.online) heap.push({ at: st.deadline, id: st.deviceId })
      }
      arm()
    },
    get: (id) => { const d = devices.get(id); return d === undefined ? undefined : { ...d } },
    list: () => [...devices.values()].map((d) => ({ ...d })),
    countsByStore() {
      const out = new Map<string, { known: number; online: number }>()
      for (const d of devices.values()) {
        const c = out.get(d.storeId ?? '') ?? { known: 0, online: 0 }
        c.known++
        if (d.online) c.online++
        out.set(d.storeId ?? '', c)
      }
      return out
    },
    close() {
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      armedAt = Infinity
    }
  }
}
