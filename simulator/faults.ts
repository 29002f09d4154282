import type { CutMode, SimDevice } from './device.js'
import type { FaultPlan, Plan } from './plan.js'
import { createPresenceModel } from './presence-model.js'
import type { FaultKind } from './scenario.js'
import type { TruthWriter } from './truth-writer.js'

export interface FaultRunner {
  /** Faults started and not yet ended. */
  active(): number
  /** Cancels what has not started; faults under way are recorded as ending now; settles the predictions. */
  stop(): void
}

/** How each fault silences its devices. */
const CUT: Record<Exclude<FaultKind, 'flapping'>, CutMode> = {
  power_loss: 'power_loss', will: 'will', disconnect: 'disconnect', store_network: 'power_loss', store_closed: 'silent'
}

/**
 * Plays the plan's faults on the devices at their offsets and writes, for each, the
 * transitions PulseGate should store. A device held by two overlapping faults comes back when
 * the last one ends; only the fault that actually cut it predicts its transitions.
 */
export function createFaultRunner(plan: Plan, devices: SimDevice[], truth: TruthWriter, startedAt: number, onError: (err: Error) => void): FaultRunner {
  const byId = new Map(devices.map((d) => [d.plan.id, d]))
  const holds = new Map<string, number>()
  const model = createPresenceModel(truth, startedAt)
  for (const d of devices) model.resumed(d, startedAt, null)
  const begun = new Map<FaultPlan, number>()
  const timers = new Set<NodeJS.Timeout>()
  const at = (offsetMs: number, fn: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn().catch(onError)
    }, startedAt + offsetMs - Date.now())
    timers.add(timer)
  }
  /** Cuts a device unless a fault already holds it (then only the first fault's prediction stands). */
  const cut = async (d: SimDevice, f: FaultPlan, mode: CutMode): Promise<void> => {
    const n = (holds.get(d.plan.id) ?? 0) + 1
    holds.set(d.plan.id, n)
    if (n > 1) return
    const t0 = Date.now()
    await d.cut(mode)
    // Read once the device is quiet: a clean DISCONNECT waits for its in-flight PUBACKs.
    model.cut(d, f, mode, t0, d.lastBeatAt, d.lastDeliveredBeatAt)
  }
  const resume = async (d: SimDevice, f: FaultPlan): Promise<void> => {
    const n = (holds.get(d.plan.id) ?? 1) - 1
    holds.set(d.plan.id, n)
    if (n > 0) return
    model.resumed(d, Date.now(), f.id)
    await d.resume()
  }

  const begin = async (f: FaultPlan): Promise<void> => {
    begun.set(f, Date.now())
    if (f.kind === 'flapping') return flap(f)
    const mode = CUT[f.kind]
    await Promise.all(targets(f).map((d) => cut(d, f, mode)))
  }
  const end = async (f: FaultPlan): Promise<void> => {
    const start = begun.get(f)
    if (start === undefined) return
    begun.delete(f)
    if (f.kind !== 'flapping') await Promise.all(targets(f).map((d) => resume(d, f)))
    truth.write({ type: 'fault', id: f.id, kind: f.kind, store_id: f.store, targets: f.devices, start, end: Date.now() })
  }

  /** Flapping: short outages (one interval down, two up) with the Will firing each time. */
  const flap = async (f: FaultPlan): Promise<void> => {
    for (const d of targets(f)) {
      const downMs = Math.max(1000, d.plan.intervalS * 1000)
      const upMs = Math.max(2000, 2 * d.plan.intervalS * 1000)
      for (let t = f.startMs; t + downMs + upMs <= f.endMs; t += downMs + upMs) {
        at(t, () => cut(d, f, 'will'))
        at(t + downMs, () => resume(d, f))
      }
    }
  }
  const targets = (f: FaultPlan): SimDevice[] => f.devices.map((id) => byId.get(id)).filter((d): d is SimDevice => d !== undefined)

  for (const f of plan.faults) {
    at(f.startMs, () => begin(f))
    at(f.endMs, () => end(f))
  }
  return {
    active: () => begun.size,
    stop() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const [f, start] of begun) truth.write({ type: 'fault', id: f.id, kind: f.kind, store_id: f.store, targets: f.devices, start, end: Date.now() })
      begun.clear()
      model.flush(devices)
    }
  }
}
