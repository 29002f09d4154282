import { describe, expect, it } from 'vitest'
import { compileCatalog, loadCatalog } from '../../../processors/stats/catalog.js'
import { thrown } from '../../support/helpers.js'
import { canonical } from '../../support/events.js'

describe('metric catalog', () => {
  it('compiles the default: every metric of SPEC §8, inputs before the metrics reading them', () => {
    const c = loadCatalog()
    const names = c.metrics.map((m) => m.name)
    for (const m of ['pv', 'uv', 'av', 'real_name', 'card_binding', 'new_members', 'credit_orders', 'member_deduction_day', 'member_deduction_history', 'total_deduction',
      'scans', 'sessions_started', 'table_utilization', 'reservation_conversion', 'escort_new_users', 'escort_active_users', 'escort_total_users', 'orders_new',
      'orders_completed', 'orders_cancelled', 'revenue', 'escorts_new', 'escorts_active', 'escorts_total', 'order_conversion', 'escort_activation']) {
      expect(names).toContain(m)
    }
    expect(names.indexOf('av')).toBeGreaterThan(names.indexOf('uv'))
    expect(names.indexOf('av')).toBeGreaterThan(names.indexOf('visit_seconds'))
    expect(names.indexOf('escort_activation')).toBeGreaterThan(names.indexOf('escorts_total'))
    expect(c.settleMs).toBe(86_400_000)
  })

  it('lists every problem of a catalog at once', () => {
    const err = thrown(() => compileCatalog({
      version: 1,
      metrics: {
        a: { kind: 'count', events: ['x'], value: 'properties.amount' },
        b: { kind: 'unique', events: ['x'], of: 'nowhere' },
        c: { kind: 'ratio', numerator: 'a', denominator: 'missing' },
        d: { kind: 'cumulative', plus: ['b'] },
        e: { kind: 'sum', events: ['x'], value: 'user_id' },
        f: { kind: 'ratio', numerator: 'g', denominator: 'a' },
        g: { kind: 'ratio', numerator: 'f', denominator: 'a' }
      }
    }, 'test.yaml'))
    expect(err.code).toBe('PG_ERR_CATALOG_INVALID')
    for (const part of [
      'metrics.a: `value` does not apply to a count metric',
      'metrics.b: of `nowhere` is neither an event column nor properties.<name>',
      'metrics.c: reads `missing`, which the catalog does not define',
      'metrics.d: a cumulative total adds up days, and `b` (unique) does not add up',
      'metrics.e: value `user_id` is a text column',
      'form a cycle'
    ]) expect(err.message).toContain(part)
  })

  it('refuses a shape error with its path', () => {
    expect(thrown(() => compileCatalog({ version: 1, metrics: { pv: { kind: 'counter', events: ['page_view'] } } })).message).toContain('/metrics/pv/kind')
    expect(thrown(() => compileCatalog({ version: 2, metrics: {} })).message).toContain('/version')
  })

  it('gives the realtime counters a matcher and a value per realtime metric', () => {
    const rt = new Map(loadCatalog().realtime.map((m) => [m.name, m]))
    expect([...rt.keys()]).toEqual(expect.arrayContaining(['pv', 'uv', 'member_deduction_day', 'payment_amount', 'revenue']))
    const pv = canonical({ eventName: 'page_view', userId: null, deviceId: 'dev-1' })
    expect(rt.get('pv')?.matches(pv)).toBe(true)
    expect(rt.get('uv')?.value(pv)).toBe('dev-1')
    const deduction = (props: Record<string, unknown>) => canonical({ eventName: 'member_deduction', properties: props })
    const md = rt.get('member_deduction_day')
    expect(md?.matches(deduction({ amount: 100 }))).toBe(true)
    expect(md?.matches(deduction({ amount: 100, status: 'failed' }))).toBe(false)
    expect(md?.matches(deduction({ amount: 100, service_type: 'goods' }))).toBe(false)
    expect(md?.value(deduction({ amount: 100 }))).toBe(100)
    expect(md?.value(deduction({ amount: 1.5 }))).toBeNull()
  })
})
