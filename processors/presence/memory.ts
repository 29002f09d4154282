import { DeadlineHeap, type Deadline } from './deadline-heap.js'
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

/**
 * A device's state with its entry in the deadline heap, if it has one. Every state is created
 * with `queued` among its fields, so V8 keeps it in the object rather than in a property
 * array added later (40 bytes per device).
 */
interface Tracked extends DeviceState { queued?: Deadline | undefined }

const stateOf = ({ queued: _queued, ...state }: Tracked): DeviceState => state

/**
 * A device has one entry in the deadline heap, not one per heartbeat: a heartbeat that moves
 * the deadline later leaves the entry where it is, and when the entry comes due it goes back
 * in at the device's current deadline. Pushing on every heartbeat kept three entries per
 * device (its deadline is three intervals away), 260 bytes per device in heap snapshots of
 * bench/connections.ts, and cost a heap push per heartbeat.
 */
export function createMemoryPresence(clock: Clock = systemClock, opts: MemoryPresenceOptions = {}): Presence {
  const devices = new Map<string, Tracked>()
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
  const enqueue = (d: Tracked): void => {
    d.queued = { at: d.deadline, id: d.deviceId }
    heap.push(d.queued)
  }
  const expire = (): void => {
    timer = undefined
    armedAt = Infinity
    const now = clock.now()
    for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
      heap.pop()
      const d = devices.get(top.id)
      // An entry the device no longer holds was replaced by an earlier deadline.
      if (d === undefined || d.queued !== top) continue
      if (d.online && d.deadline > top.at) {
        // Heartbeats moved the deadline since: back in the heap, in deadline order.
        top.at = d.deadline
        heap.push(top)
        continue
      }
      d.queued = undefined
      if (d.online) setOffline(d, opts.storeOpen?.(d.storeId, d.deadline) === false ? 'closed' : 'heartbeat_timeout', d.deadline)
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
      const state: Tracked = d ?? { deviceId: b.deviceId, storeId: b.storeId, online: true, lastSeen: b.at, deadline, since: b.at, reason: 'first_heartbeat', queued: undefined }
      if (d === undefined) devices.set(b.deviceId, state)
      else Object.assign(d, { lastSeen: b.at, deadline, storeId: b.storeId ?? d.storeId })
      // A later deadline waits for the device's entry to come due; an earlier one (a shorter interval) needs its own.
      if (state.queued === undefined || deadline < state.queued.at) {
        enqueue(state)
        arm()
      }
      if (d?.online === true) return null
      const reason = b.reason ?? 'first_heartbeat'
      if (d === undefined) state.reason = reason
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
        const d: Tracked = { ...st, queued: undefined }
        devices.set(st.deviceId, d)
        if (st.online) enqueue(d)
      }
      arm()
    },
    get: (id) => { const d = devices.get(id); return d === undefined ? undefined : stateOf(d) },
    list: () => [...devices.values()].map(stateOf),
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
