import { createRandom, type Random } from './random.js'
import { ScenarioError, STORE_FAULTS, type FaultKind, type Scenario } from './scenario.js'

export type Transport = 'mqtt' | 'http'

export interface DevicePlan {
  id: string
  store: string
  table: string
  intervalS: number
  transport: Transport
  /** Connects with a Will (`offline`, retained, on its status topic). */
  will: boolean
  qos: 0 | 1
}

export interface FaultPlan {
  /** `f1`, `f2`… in start order. */
  id: string
  kind: FaultKind
  /** Offsets from the start of the run, ms. */
  startMs: number
  endMs: number
  /** The store of a store fault, else null. */
  store: string | null
  /** Every device the fault cuts. */
  devices: string[]
}

/** Everything a run will do, fixed by the scenario and its seed before anything connects. */
export interface Plan {
  scenario: Scenario
  stores: string[]
  devices: DevicePlan[]
  faults: FaultPlan[]
}

/** Faults the demo draws from: each leaves the device or store able to come back. */
const RANDOM_FAULTS: readonly FaultKind[] = ['power_loss', 'will', 'disconnect', 'flapping', 'store_network']

export function buildPlan(s: Scenario): Plan {
  const random = createRandom(s.seed)
  const stores = Array.from({ length: s.stores }, (_, i) => `${s.prefix}-s${i + 1}`)
  const devices = stores.flatMap((store) => Array.from({ length: s.tablesPerStore }, (_, t): DevicePlan => {
    const table = `T${String(t + 1).padStart(2, '0')}`
    const transport: Transport = random.chance(s.httpDevices) ? 'http' : 'mqtt'
    return { id: `${store}-${table.toLowerCase()}`, store, table, intervalS: s.intervalS, transport, will: transport === 'mqtt' && random.chance(s.willDevices), qos: s.qos }
  }))
  const specs = [...s.faults, ...randomFaults(s, random)].sort((a, b) => a.atS - b.atS)
  const assigned: Array<{ devices: string[]; from: number; to: number }> = []
  const pinned = new Set<string>()
  // Store faults reserve their store first, so device faults land on other devices.
  const order = specs.map((f, i) => ({ f, i })).sort((a, b) => Number(STORE_FAULTS.includes(b.f.kind)) - Number(STORE_FAULTS.includes(a.f.kind)))
  const faults: FaultPlan[] = new Array(specs.length)
  for (const { f, i } of order) {
    const from = f.atS
    const to = f.atS + f.durationS
    // Busy: held by a fault whose time overlaps or touches this one's.
    const busy = (id: string): boolean => assigned.some((a) => a.from <= to && from <= a.to && a.devices.includes(id))
    const targets = STORE_FAULTS.includes(f.kind) ? storeTargets(f.target, stores, devices, busy, random) : deviceTargets(f.kind, f.target, devices, busy, pinned, random)
    assigned.push({ devices: targets.devices, from, to })
    faults[i] = { id: `f${i + 1}`, kind: f.kind, startMs: Math.round(from * 1000), endMs: Math.round(to * 1000), ...targets }
  }
  return { scenario: s, stores, devices, faults }
}

/** The demo's faults: one every `faultEveryS`, each lasting long enough to show a transition. */
function randomFaults(s: Scenario, random: Random): Scenario['faults'] {
  if (s.faultEveryS === null) return []
  const out: Scenario['faults'] = []
  const lengthS = Math.max(4 * s.intervalS, 5)
  for (let at = s.faultEveryS; at + lengthS <= s.durationS; at += s.faultEveryS) out.push({ kind: random.pick(RANDOM_FAULTS), atS: at, durationS: lengthS })
  return out
}

function storeTargets(target: string | undefined, stores: string[], devices: DevicePlan[], busy: (id: string) => boolean, random: Random): { store: string; devices: string[] } {
  const inStore = (store: string): string[] => devices.filter((d) => d.store === store).map((d) => d.id)
  if (target !== undefined && !stores.includes(target)) throw new ScenarioError(`fault target ${target} is not one of the stores (${stores.join(', ')})`)
  const free = stores.filter((store) => !inStore(store).some(busy))
  const store = target ?? random.pick(free.length > 0 ? free : stores)
  return { store, devices: inStore(store) }
}

/**
 * A Will fault (and flapping, whose every outage should show) needs a device with a Will, a
 * power loss one without (else it is a Will fault). A device's Will is fixed for the run: the
 * first fault that needs it one way pins it.
 */
const WILL_NEEDED: Partial<Record<FaultKind, boolean>> = { will: true, flapping: true, power_loss: false }

function deviceTargets(kind: FaultKind, target: string | undefined, devices: DevicePlan[], busy: (id: string) => boolean, pinned: Set<string>, random: Random): { store: null; devices: string[] } {
  const need = WILL_NEEDED[kind]
  const matches = (d: DevicePlan): boolean => need === undefined || d.will === need
  const settable = (d: DevicePlan): boolean => matches(d) || !pinned.has(d.id)
  const mqtt = devices.filter((d) => d.transport === 'mqtt')
  let chosen: DevicePlan | undefined
  if (target !== undefined) {
    chosen = devices.find((x) => x.id === target)
    if (chosen === undefined) throw new ScenarioError(`fault target ${target} is not one of the devices`)
    if (chosen.transport !== 'mqtt') throw new ScenarioError(`fault target ${target} heartbeats over HTTP; ${kind} needs an MQTT device`)
    if (!settable(chosen)) throw new ScenarioError(`fault target ${target}: ${kind} needs a device ${need === true ? 'with' : 'without'} a Will, and another fault needs the opposite`)
  } else {
    if (mqtt.length === 0) throw new ScenarioError(`a ${kind} fault needs an MQTT device, and every device heartbeats over HTTP`)
    // Best a free device whose Will already fits, then one free to change; when every device is
    // pinned the other way, any device (a power loss with a Will then plays as a Will fault).
    const tiers = [mqtt.filter((d) => !busy(d.id) && matches(d)), mqtt.filter((d) => !busy(d.id) && settable(d)), mqtt.filter(matches), mqtt.filter(settable), mqtt]
    chosen = random.pick(tiers.find((t) => t.length > 0) as DevicePlan[])
  }
  if (need !== undefined && settable(chosen)) {
    chosen.will = need
    pinned.add(chosen.id)
  }
  return { store: null, devices: [chosen.id] }
}
