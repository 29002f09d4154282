import { describe, expect, it } from 'vitest'
import { createAppTraffic } from '../../../simulator/apps/index.js'
import { options, run, START } from './run.js'

const FAULTS = { invalid: 0.1, duplicate: 0.05, late: 0.05, skew: 0.1, missingSettlement: 0.2 }
const strip = (rs: ReturnType<typeof run>) => rs.map(({ now: _now, ...r }) => r)

describe('app traffic determinism', () => {
  it('gives the same requests for the same seed', () => {
    const a = run(options({ shares: FAULTS }), 120_000)
    const b = run(options({ shares: FAULTS }), 120_000)
    expect(a.length).toBeGreaterThan(100)
    expect(b).toEqual(a)
  })

  it('gives the same requests however often next is called', () => {
    const fine = strip(run(options({ shares: FAULTS }), 120_000, 250))
    const coarse = strip(run(options({ shares: FAULTS }), 120_000, 30_000))
    expect(coarse).toEqual(fine)
  })

  it('gives other requests for another seed, with ids that never meet', () => {
    const ids = (seed: number) => new Set(run(options({ seed, shares: FAULTS }), 60_000).flatMap((r) => r.truth.map((t) => t.eventId)).filter((id) => id !== null))
    const a = ids(1)
    const b = ids(2)
    expect([...a].filter((id) => b.has(id))).toEqual([])
  })

  it('returns each request once, none before it is due', () => {
    const traffic = createAppTraffic(options({ shares: FAULTS }))
    expect(traffic.apps).toEqual(['web', 'billiards', 'finance', 'escort'])
    const first = traffic.next(START + 30_000)
    expect(first.length).toBeGreaterThan(0)
    expect(traffic.next(START + 30_000)).toEqual([])
  })

  it('puts no write key in any body', () => {
    const text = JSON.stringify(run(options({ shares: FAULTS }), 60_000).map((r) => r.body))
    expect(text).not.toMatch(/write_?key/i)
  })

  it('reports every bad option at once', () => {
    expect(() => createAppTraffic(options({ users: 0, timeZone: 'Mars/Base', shares: { ...FAULTS, invalid: 1.5 } }))).toThrow(
      'invalid app traffic options: shares.invalid must be in [0, 1), not 1.5; shares.invalid + shares.late + shares.duplicate must stay below 1; ' +
      'users must be a positive integer, not 0; timeZone "Mars/Base" is not an IANA zone'
    )
  })
})
