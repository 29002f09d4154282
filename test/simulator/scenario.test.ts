import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseFault, scenarioFrom, simulateCommand } from '../../simulator/cli.js'
import { DEMO_SCENARIO } from '../../simulator/demo.js'
import { buildPlan } from '../../simulator/plan.js'
import { DEFAULT_SCENARIO, scenarioFromYaml, ScenarioError } from '../../simulator/scenario.js'
import { missingTransitions, parseTruth } from '../../simulator/truth.js'

const error = (yaml: string): string => {
  try {
    scenarioFromYaml(yaml, 'bad.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError)
    return (err as Error).message
  }
  throw new Error('accepted')
}

describe('scenario files', () => {
  it('reads a YAML scenario, durations as text or seconds', () => {
    const s = scenarioFromYaml('seed: 7\nstores: 3\ntables: 2\nduration: 2m\ninterval: 2\nqos: 0\nfaults:\n  - { kind: will, at: 10s, for: 5 }\n  - { kind: store_closed, at: 30, for: 1m, target: sim-s2 }\n')
    expect(s).toEqual({
      ...DEFAULT_SCENARIO, seed: 7, stores: 3, tablesPerStore: 2, durationS: 120, intervalS: 2, qos: 0,
      faults: [{ kind: 'will', atS: 10, durationS: 5 }, { kind: 'store_closed', atS: 30, durationS: 60, target: 'sim-s2' }]
    })
  })

  it('refuses a bad file naming every bad field', () => {
    expect(error('stores: 0\ntabels: 3\nqos: 2\nfaults:\n  - { kind: meteor, at: 1s, for: 2s }\n  - { at: 1s }\n')).toBe([
      'bad.yaml is not a valid scenario:',
      'tabels: is not a known field',
      'stores: must be >= 1',
      'qos: must be one of 0, 1',
      'faults[0].kind: must be one of power_loss, disconnect, will, flapping, store_network, store_closed',
      'faults[1].kind: must have required property \'kind\'',
      'faults[1].for: must have required property \'for\''
    ].join('\n'))
  })

  it('refuses a fault that outlasts the run, an unknown zone, and text that is not YAML', () => {
    expect(error('duration: 10s\ntime_zone: Mars/Olympus\nfaults:\n  - { kind: will, at: 8s, for: 5s }\n')).toBe(
      'not a valid scenario:\nfaults[0]: ends at 13s, after the run (duration 10s)\ntime_zone: Mars/Olympus is not an IANA time zone')
    expect(error('stores: [1')).toMatch(/^bad\.yaml: not valid YAML: /)
  })

  it('lets flags override the file and checks them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsegate-sim-'))
    writeFileSync(join(dir, 's.yaml'), 'stores: 4\ninterval: 3\n')
    const s = await scenarioFrom({ scenario: join(dir, 's.yaml'), interval: '1', fault: ['power_loss@2s+5s:sim-s1-t01'] })
    expect(s).toMatchObject({ stores: 4, intervalS: 1, faults: [{ kind: 'power_loss', atS: 2, durationS: 5, target: 'sim-s1-t01' }] })
    await expect(scenarioFrom({ jitter: '2' })).rejects.toThrow('--jitter: "2" is not a valid value')
    expect(() => parseFault('meteor@1s+2s')).toThrow(/is not <kind>@<at>\+<for>/)
    const out: string[] = []
    const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream
    expect(await simulateCommand(['--fault', 'will@1s+2s:nobody', '--plan'], sink)).toBe(2)
    expect(out.join('')).toBe('pulsegate simulate: fault target nobody is not one of the devices\n')
  })
})

describe('plans', () => {
  const scenario = { ...DEFAULT_SCENARIO, seed: 42, stores: 3, tablesPerStore: 4, httpDevices: 0.2, faultEveryS: 10, durationS: 120, faults: [{ kind: 'store_closed' as const, atS: 5, durationS: 10 }] }

  it('are the same for the same seed, and differ for another', () => {
    expect(buildPlan({ ...scenario })).toEqual(buildPlan({ ...scenario }))
    expect(buildPlan({ ...scenario, seed: 43 })).not.toEqual(buildPlan(scenario))
  })

  it('give Will faults a device with a Will, power losses one without, and keep device faults off a store fault\'s store', () => {
    const plan = buildPlan(scenario)
    const device = (id: string) => plan.devices.find((d) => d.id === id)
    const closed = plan.faults.find((f) => f.kind === 'store_closed')
    expect(closed?.devices).toEqual(plan.devices.filter((d) => d.store === closed?.store).map((d) => d.id))
    for (const f of plan.faults) {
      if (f.kind === 'will' || f.kind === 'flapping') expect(f.devices.map((id) => device(id)?.will)).toEqual([true])
      if (f.kind === 'power_loss') expect(f.devices.map((id) => device(id)?.will)).toEqual([false])
      if (f.store === null) expect(f.devices.map((id) => device(id)?.transport)).toEqual(['mqtt'])
    }
  })

  it('spread faults over distinct devices while there are free ones, store faults first', () => {
    const kinds = ['power_loss', 'will', 'store_closed', 'disconnect', 'flapping', 'store_network'] as const
    const plan = buildPlan({ ...scenario, httpDevices: 0, faultEveryS: null, faults: kinds.map((kind, i) => ({ kind, atS: i, durationS: 10 })) })
    const all = plan.faults.flatMap((f) => f.devices)
    expect(new Set(all).size).toBe(all.length)
    expect(plan.faults.map((f) => f.devices.length)).toEqual([1, 1, 4, 1, 1, 4])
  })
})

describe('the demo plan', () => {
  it('has a fault every 30 s for six hours, each Will fault on a device with a Will', () => {
    const plan = buildPlan(DEMO_SCENARIO)
    expect(plan.devices).toHaveLength(6)
    expect(plan.faults).toHaveLength(Math.floor((6 * 3600 - 20) / 30))
    const will = new Map(plan.devices.map((d) => [d.id, d.will]))
    for (const f of plan.faults.filter((x) => x.kind === 'will' || x.kind === 'flapping')) expect(will.get(f.devices[0] as string)).toBe(true)
  })
})

describe('the truth reader', () => {
  it('parses records by type and matches expected transitions to stored ones, each used once', () => {
    const lines = [
      { type: 'scenario', scenario: DEFAULT_SCENARIO, started_at: 1000 },
      { type: 'expected_transition', device_id: 'a', state: 'offline', reason: 'will', earliest: 2000, latest: 3000, cause: 'f1' },
      { type: 'expected_transition', device_id: 'a', state: 'offline', reason: 'will', earliest: 2000, latest: 3000, cause: 'f2' }
    ].map((r) => JSON.stringify(r)).join('\n')
    const truth = parseTruth(lines)
    expect(truth.transitions).toHaveLength(2)
    const missing = missingTransitions(truth, [{ deviceId: 'a', state: 'offline', reason: 'will', at: 2500 }, { deviceId: 'a', state: 'offline', reason: 'status', at: 2600 }])
    expect(missing.map((m) => m.cause)).toEqual(['f2'])
    expect(() => parseTruth('{"type":"device"}')).toThrow('no scenario record')
  })
})
