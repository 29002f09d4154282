/** Flows complete, in order, with their keys consistent from the first event to the last (no faults, so every event is there). */
import { describe, expect, it } from 'vitest'
import { eventsOf, eventTimeOf, NO_FAULTS, options, run, START, type Body } from './run.js'

const requests = run(options({ seed: 11, shares: NO_FAULTS }), 900_000, 5000)
/** Flows that start by then have had time to finish (a table session plays 3 nominal hours at most; timeScale 0.01). */
const FINISHED_BY = START + 600_000
/** Every event with its app and route, in the order sent. */
const sent = requests.flatMap((r) => eventsOf(r).map((event) => ({ app: r.app, route: r.route, event })))
const props = (e: Body): Record<string, unknown> => (e.properties ?? {}) as Record<string, unknown>

function groupBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    if (k !== undefined) out.set(k, [...(out.get(k) ?? []), item])
  }
  return out
}

const ascending = (times: number[]): boolean => times.every((t, i) => i === 0 || t >= (times[i - 1] as number))

describe('app traffic flows', () => {
  it('plays billiards sessions in the plan order, session_id and payment_id consistent', () => {
    const billiards = sent.filter((s) => s.app === 'billiards')
    expect(new Set(billiards.map((s) => s.route))).toEqual(new Set(['/api/track']))
    // payment_success carries no session_id (seed 001 §3.2): it joins its session by payment_id.
    const sessionOfPayment = new Map(billiards.filter((s) => s.event.event_name === 'payment_create').map((s) => [props(s.event).payment_id, props(s.event).session_id]))
    const sessions = groupBy(billiards.map((s) => s.event), (e) => (props(e).session_id ?? sessionOfPayment.get(props(e).payment_id)) as string | undefined)
    const flow = ['session_start', 'session_end_request', 'billing_frozen', 'payment_create', 'payment_success', 'billing_settled']
    let complete = 0
    for (const events of sessions.values()) {
      const names = events.map((e) => e.event_name)
      expect(names).toEqual(flow.slice(0, names.length))
      if (eventTimeOf(events[0] ?? {}) < FINISHED_BY) expect(names.length).toBeGreaterThanOrEqual(5)
      expect(ascending(events.map((e) => eventTimeOf(e)))).toBe(true)
      const [start, end, frozen, create, success, settled] = events.map(props)
      if (settled === undefined || success === undefined || create === undefined || frozen === undefined || end === undefined || start === undefined) continue
      complete++
      expect(end.duration_seconds).toBe((frozen.minutes as number) * 60)
      expect(new Set([frozen.amount, create.amount, success.amount, settled.amount]).size).toBe(1)
      expect(new Set([create.payment_id, success.payment_id, settled.payment_id]).size).toBe(1)
      expect(settled.session_id).toBe(start.session_id)
      expect(start.table_id).toMatch(new RegExp(`^${String(start.store_id)}-T\\d\\d$`))
    }
    expect(complete).toBeGreaterThan(20)
  })

  it('scans the table before starting its session, and redeems reservations on the booked table', () => {
    const billiards = sent.filter((s) => s.app === 'billiards').map((s) => s.event)
    const starts = billiards.filter((e) => e.event_name === 'session_start')
    for (const start of starts) {
      const p = props(start)
      const scans = billiards.slice(0, billiards.indexOf(start)).filter((e) => e.event_name === 'qr_scan' && props(e).table_code === `${String(p.table_id)}-QR`)
      expect(scans.map((e) => e.user_id)).toContain(start.user_id)
      if (p.start_type !== 'reservation') continue
      const booking = billiards.find((e) => e.event_name === 'reservation_create' && props(e).reservation_id === p.reservation_id)
      expect(props(booking ?? {}).table_id).toBe(p.table_id)
      expect(eventTimeOf(booking ?? {})).toBeLessThan(eventTimeOf(start))
    }
    expect(starts.filter((s) => props(s).start_type === 'reservation').length).toBeGreaterThan(5)
    expect(billiards.filter((e) => e.event_name === 'reservation_expire').length).toBeGreaterThan(2)
  })

  it('alternates page_view and page_leave in web sessions, each leave timing its page', () => {
    const web = sent.filter((s) => s.app === 'web').map((s) => s.event)
    const sessions = groupBy(web, (e) => e.session_id as string)
    expect(sessions.size).toBeGreaterThan(50)
    for (const events of sessions.values()) {
      expect(events.map((e) => e.event_name)).toEqual(events.map((_, i) => (i % 2 === 0 ? 'page_view' : 'page_leave')))
      for (let i = 1; i < events.length; i += 2) {
        const [view, leave] = [events[i - 1] ?? {}, events[i] ?? {}]
        expect(props(leave).page).toBe(props(view).page)
        expect(eventTimeOf(leave) - eventTimeOf(view)).toBe(Math.max(1000, (props(leave).duration as number) * 10))
      }
    }
  })

  it('carries escort orders from creation to completion or cancellation under one orderId', () => {
    const escort = sent.filter((s) => s.app === 'escort').map((s) => s.event)
    const orders = groupBy(escort, (e) => props(e).orderId as string | undefined)
    expect(orders.size).toBeGreaterThan(50)
    for (const events of orders.values()) {
      const names = events.map((e) => e.eventName).join(' ')
      const done = /^order_created (order_paid )?order_cancelled$|^order_created order_paid order_grab order_arrive order_completed$/
      if (eventTimeOf(events[0] ?? {}) < FINISHED_BY) expect(names).toMatch(done)
      else expect(names).toMatch(/^order_created( order_paid)?( order_grab)?( order_arrive)?|^order_created( order_paid)? order_cancelled$/)
      expect(new Set(events.map((e) => e.sessionId)).size).toBe(1)
      expect(ascending(events.map((e) => eventTimeOf(e)))).toBe(true)
    }
  })

  it('reports finance journeys with local timestamps and yuan, orders keyed by order_id', () => {
    const finance = sent.filter((s) => s.app === 'finance').map((s) => s.event)
    expect(new Set(finance.map((e) => e.event_type))).toEqual(new Set(['page_view', 'user_register', 'real_name_auth', 'bind_card', 'member_purchase', 'deduction_success', 'order_create']))
    for (const e of finance) {
      expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
      if (e.amount !== undefined) expect(e.amount).toMatch(/^\d+\.\d\d$/)
    }
    const journeys = groupBy(finance, (e) => e.session_id as string)
    for (const events of journeys.values()) {
      expect(events[0]?.event_type).toBe('page_view')
      const purchase = events.find((e) => e.event_type === 'member_purchase')
      const deduction = events.find((e) => e.event_type === 'deduction_success')
      if (deduction !== undefined) expect(deduction.order_id).toBe(purchase?.order_id)
    }
    const truths = requests.filter((r) => r.app === 'finance').flatMap((r) => r.truth)
    expect(truths.filter((t) => t.eventName === 'member_purchase').every((t) => t.eventId?.startsWith('k:member_purchase:OD_') === true)).toBe(true)
    expect(truths.filter((t) => t.eventName === 'card_bound').every((t) => t.eventId === null)).toBe(true)
  })
})
