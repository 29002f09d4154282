import { describe, expect, it } from 'vitest'
import { eventsOf, eventTimeOf, NO_FAULTS, options, run, sentAtOf } from './run.js'

const DAY = 86_400_000

describe('app traffic fault shares', () => {
  const shares = { invalid: 0.1, duplicate: 0.05, late: 0.06, skew: 0.12, missingSettlement: 0.25 }
  const requests = run(options({ seed: 9, users: 60, shares }), 180_000)
  const events = requests.flatMap((r) => r.truth.map((truth, i) => ({ truth, event: eventsOf(r)[i] ?? {}, r })))

  it('holds the invalid, duplicate, late and skew shares over thousands of events', () => {
    const total = events.length
    expect(total).toBeGreaterThan(2000)
    const count = (p: (e: (typeof events)[number]) => boolean) => events.filter(p).length
    const lateEvent = (e: (typeof events)[number]) => e.truth.expected === 'accepted' && sentAtOf(e.r) - eventTimeOf(e.event) > DAY
    // A request sent at `now` is due in the second before it: a clock minutes off shows in sent_at.
    const skewed = (e: (typeof events)[number]) => Math.abs(sentAtOf(e.r) - e.r.now) > 60_000
    expect(Math.abs(count((e) => e.truth.expected === 'rejected') / total - shares.invalid)).toBeLessThan(0.03)
    expect(Math.abs(count((e) => e.truth.expected === 'duplicate') / total - shares.duplicate)).toBeLessThan(0.02)
    expect(Math.abs(count(lateEvent) / total - shares.late)).toBeLessThan(0.02)
    expect(Math.abs(count(skewed) / total - shares.skew)).toBeLessThan(0.05)
  })

  it('resends only accepted events, with the same event and id, in a later request', () => {
    const firsts = new Map(events.filter((e) => e.truth.expected === 'accepted').map((e, i) => [JSON.stringify(e.event), { ...e, i }]))
    const dups = events.filter((e) => e.truth.expected === 'duplicate')
    expect(dups.length).toBeGreaterThan(50)
    for (const d of dups) {
      const first = firsts.get(JSON.stringify(d.event))
      // The first copy alone says what the event is: the resend is answered `duplicate`, and counted nowhere.
      expect(d.truth.event).toBeUndefined()
      expect(first?.truth).toEqual({ ...d.truth, expected: 'accepted', event: first?.truth.event })
      expect(d.r.now - (first?.r.now ?? Infinity)).toBeGreaterThanOrEqual(0)
      expect(sentAtOf(d.r) - sentAtOf(first?.r ?? d.r)).toBeGreaterThanOrEqual(2000)
    }
  })

  it('leaves the settlement out of the missingSettlement share of paid sessions', () => {
    const byName = (name: string) => new Set(run(options({ seed: 3, users: 5, stores: ['s1', 's2', 's3', 's4'], tablesPerStore: 8, shares: { ...NO_FAULTS, missingSettlement: 0.3 } }), 1_200_000, 10_000)
      .flatMap((r) => eventsOf(r)).filter((e) => e.event_name === name).map((e) => (e.properties as { payment_id: string }).payment_id))
    const paid = byName('payment_success')
    const settled = byName('billing_settled')
    expect(paid.size).toBeGreaterThan(200)
    expect([...settled].filter((p) => !paid.has(p))).toEqual([])
    expect(Math.abs(1 - settled.size / paid.size - 0.3)).toBeLessThan(0.07)
  })

  it('sends no fault when every share is 0', () => {
    const clean = run(options({ seed: 9, shares: NO_FAULTS }), 120_000)
    expect(new Set(clean.flatMap((r) => r.truth.map((t) => t.expected)))).toEqual(new Set(['accepted']))
    expect(clean.filter((r) => sentAtOf(r) > r.now || r.now - sentAtOf(r) >= 1000)).toEqual([])
  })
})
