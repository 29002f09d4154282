import type { CutMode, SimDevice } from './device.js'
import type { FaultPlan } from './plan.js'
import type { ExpectedReason } from './truth.js'
import type { TruthWriter } from './truth-writer.js'

/** A Will reaches the gateway at once; this much slack covers the broker and the commit. */
const WILL_SLACK_MS = 2000
/** Presence sweeps deadlines on a timer: an offline may come this long after the deadline. */
const DEADLINE_SLACK_MS = 2000
/** A device coming back reconnects and heartbeats within this long. */
const RESUME_SLACK_MS = 5000

/**
 * What the simulator believes PulseGate's presence holds for each device (SPEC §6), so that
 * it predicts only transitions that are certain. `unknown` is a race it cannot call (a
 * heartbeat in flight when the device came back or went away, a return near the deadline);
 * nothing is predicted for the device until a delivered heartbeat settles it.
 */
type Believed = 'online' | 'offline' | 'unknown'

export interface PresenceModel {
  /** The device (re)connected at `t`, after `cause` ended (null: the start of the run). */
  resumed(d: SimDevice, t: number, cause: string | null): void
  /** A fault cut the device at `t0`; `sent` and `delivered` are its beat times read just before. */
  cut(d: SimDevice, f: FaultPlan, mode: CutMode, t0: number, sent: number | null, delivered: number | null): void
  /** The end of the run: settles every device that came back since its last cut. */
  flush(devices: SimDevice[]): void
}

export function createPresenceModel(truth: TruthWriter, startedAt: number): PresenceModel {
  const believed = new Map<string, Believed>()
  const pending = new Map<string, { t: number; cause: string | null; before: Believed }>()
  const expect = (d: SimDevice, state: 'online' | 'offline', reason: ExpectedReason, earliest: number, latest: number, cause: string | null): void =>
    truth.write({ type: 'expected_transition', device_id: d.plan.id, state, reason, earliest, latest, cause })

  /** Did the device come online after its last return? Only a delivered heartbeat says so. */
  const settle = (d: SimDevice, sent: number | null, delivered: number | null): void => {
    const p = pending.get(d.plan.id)
    if (p === undefined) return
    pending.delete(d.plan.id)
    if (delivered !== null && delivered >= p.t) {
      if (p.before === 'offline') expect(d, 'online', 'first_heartbeat', p.t, p.t + RESUME_SLACK_MS, p.cause)
      believed.set(d.plan.id, 'online')
    } else if (sent !== null && sent >= p.t) believed.set(d.plan.id, 'unknown')
  }

  return {
    resumed(d, t, cause) {
      pending.set(d.plan.id, { t, cause, before: believed.get(d.plan.id) ?? 'offline' })
    },
    cut(d, f, mode, t0, sent, delivered) {
      settle(d, sent, delivered)
      if (believed.get(d.plan.id) !== 'online') return
      // The socket dies without DISCONNECT: the broker publishes the Will at once.
      if ((mode === 'power_loss' || mode === 'will') && d.plan.transport === 'mqtt' && d.plan.will) {
        expect(d, 'offline', 'will', t0, Date.now() + WILL_SLACK_MS, f.id)
        believed.set(d.plan.id, 'offline')
        return
      }
      // Else the deadline: 3 intervals after the last heartbeat that arrived, or one in flight.
      const period = 3 * d.plan.intervalS * 1000
      const latest = (sent ?? 0) + period + DEADLINE_SLACK_MS
      // Back before (or too near) the deadline: whether it went offline is a race.
      if (delivered === null || latest >= startedAt + f.endMs) {
        believed.set(d.plan.id, 'unknown')
        return
      }
      expect(d, 'offline', f.kind === 'store_closed' ? 'closed' : 'heartbeat_timeout', delivered + period - 250, latest, f.id)
      believed.set(d.plan.id, 'offline')
    },
    flush(devices) {
      for (const d of devices) settle(d, d.lastBeatAt, d.lastDeliveredBeatAt)
    }
  }
}
