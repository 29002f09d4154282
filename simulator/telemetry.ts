import type { Random } from './random.js'

export interface Reading { latency_ms: number; battery_level: number; signal_strength: number }

/**
 * A device's readings drift as a real one's do: latency and signal take a bounded random walk,
 * the battery drains slowly and is sometimes recharged. Values stay inside the tracking plan's
 * ranges (battery 0–100, signal ≤ 0 dBm).
 */
export function createTelemetry(random: Random): () => Reading {
  let latency = random.int(20, 120)
  let battery = random.int(40, 100)
  let signal = random.int(-85, -45)
  return () => {
    latency = clamp(latency + random.int(-15, 15), 5, 2000)
    battery = battery <= 5 || random.chance(0.002) ? 100 : clamp(battery - (random.chance(0.2) ? 1 : 0), 0, 100)
    signal = clamp(signal + random.int(-3, 3), -110, -30)
    return { latency_ms: latency, battery_level: battery, signal_strength: signal }
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v))

/** A timer that calls `tick` every interval ± jitter until stopped; unref'd like every background timer. */
export interface BeatLoop {
  start(immediately: boolean): void
  stop(): void
  readonly running: boolean
}

export function createBeatLoop(intervalMs: number, jitter: number, random: Random, tick: () => void): BeatLoop {
  let timer: NodeJS.Timeout | null = null
  const schedule = (delay: number): void => {
    timer = setTimeout(() => {
      tick()
      schedule(random.jitter(intervalMs, jitter))
    }, delay)
  }
  return {
    start(immediately) {
      if (timer !== null) return
      schedule(immediately ? 0 : random.jitter(intervalMs, jitter))
    },
    stop() {
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
    get running() { return timer !== null }
  }
}
