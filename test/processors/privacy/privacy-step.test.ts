import { describe, expect, it } from 'vitest'
import { compilePlan, type CompiledPlan } from '../../../processors/plan/compile.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { hmacId } from '../../../processors/privacy/mask.js'
import { privacy } from '../../../processors/privacy/privacy-step.js'
import { canonical, context } from '../pipeline/fixtures.js'

const ctx = context()
const key = ctx.privacyKey

function run(event: CanonicalEvent, plan?: CompiledPlan): CanonicalEvent {
  const result = privacy(Object.freeze(event), plan === undefined ? ctx : context({ plan }))
  if (!result.ok) throw new Error(`privacy refused: ${result.rejection.code}`)
  return result.event
}

describe('privacy step on the shipped plan', () => {
  it('masks an escort registration: phone, ID number and address masked, name and coordinates dropped', () => {
    const event = canonical({
      eventName: 'escort_register', userId: 'u_1',
      properties: {
        escort_id: 'esc_1', phone: '13812345678', mobile: '+86 139-8765-4321', real_name: '张三',
        id_number: '110105199001011234', address: '上海市浦东新区世纪大道100号', latitude: 31.23, longitude: 121.47, city: '上海'
      }
    })
    expect(run(event)).toEqual({
      ...event,
      properties: {
        escort_id: 'esc_1', phone: '*******5678', mobile: '+** ***-****-4321',
        id_number: '110105********1234', address: '上海市', city: '上海'
      }
    })
  })

  it('masks real-name verification: both ID number fields kept 6 + 4, the name dropped', () => {
    const event = canonical({
      eventName: 'real_name_verified', userId: 'u_1',
      properties: { user_id: 'u_1', auth_method: 'id_card', real_name: 'Li Lei', id_number: '11010519900101123X', id_card: 'G12345678X1' }
    })
    expect(run(event).properties).toEqual({ user_id: 'u_1', auth_method: 'id_card', id_number: '110105********123X', id_card: 'G12345*78X1' })
  })

  it('drops secrets of a login and of a bound card', () => {
    expect(run(canonical({ eventName: 'user_login', properties: { user_id: 'u_1', login_method: 'sms', password: 'hunter2', token: 'tok' } })).properties)
      .toEqual({ user_id: 'u_1', login_method: 'sms' })
    expect(run(canonical({ eventName: 'card_bound', properties: { user_id: 'u_1', card_last4: '1234', card_no: '6222020200001234' } })).properties)
      .toEqual({ user_id: 'u_1', card_last4: '1234' })
  })

  it('cuts an order address at the city, Latin and structured ones too', () => {
    const order = (address: unknown): unknown => run(canonical({ eventName: 'order_created', properties: { order_id: 'o1', amount: 100, address } })).properties.address
    expect(order('广东省深圳市南山区科技园')).toBe('广东省深圳市')
    expect(order('221B Baker Street, London, UK')).toBe('London, UK')
    expect(order('somewhere near the station')).toBeNull()
  })

  it('masks a planned field nested anywhere, and its camelCase spelling', () => {
    const event = canonical({ eventName: 'escort_register', properties: { escort_id: 'e', profile: { phone: '13812345678', idNumber: '110105199001011234' }, history: [{ mobile: '13912345678' }] } })
    expect(run(event).properties).toEqual({ escort_id: 'e', profile: { phone: '*******5678', idNumber: '110105********1234' }, history: [{ mobile: '*******5678' }] })
  })

  it('applies the plan\'s global rules to fields an event does not declare', () => {
    const scan = canonical({ eventName: 'qr_scan', deviceId: 'dev_1', properties: { table_code: 'TBL001-QR789', contact: { mobile: '13812345678', token: 't' } } })
    expect(run(scan)).toEqual({ ...scan, properties: { table_code: 'TBL001-QR789', contact: { mobile: '*******5678' } } })
    const unplanned = canonical({ eventName: 'not_in_plan', properties: { phone: '13812345678' } })
    expect(run(unplanned)).toEqual({ ...unplanned, properties: { phone: '*******5678' } })
  })

  it('returns the very same event when nothing applies', () => {
    const scan = canonical({ eventName: 'qr_scan', deviceId: 'dev_1', userId: 'u_1', properties: { table_code: 'TBL001-QR789', source_channel: 'wechat' } })
    expect(run(scan)).toBe(scan)
    const view = canonical({ eventName: 'page_view', properties: { page: '/home', city: '上海', referrer: { host: 'example.com' } } })
    expect(run(view)).toBe(view)
    const masked = canonical({ eventName: 'escort_register', properties: { escort_id: 'e', phone: '*******5678', address: '上海市' } })
    expect(run(masked)).toBe(masked)
  })

  it('does not run again on a quarantine replay, whose payload was masked when it was stored', () => {
    const replayed = canonical({ eventName: 'escort_register', properties: { escort_id: 'e', phone: '*******5678', address: 'London, UK' } })
    const result = privacy(replayed, context({ privacyApplied: true }))
    expect(result).toEqual({ ok: true, event: replayed })
    expect(result.ok && result.event).toBe(replayed)
  })

  it('never mutates the event it is given', () => {
    const event = canonical({ eventName: 'escort_register', properties: { escort_id: 'e', phone: '13812345678', nested: { address: '北京市朝阳区' } } })
    const before = structuredClone(event)
    run(event)
    expect(event).toEqual(before)
  })
})

/** A plan with global rules: `user_id` hashed everywhere, `phone` masked on every event. */
function globalPlan(): CompiledPlan {
  return compilePlan({
    version: 'privacy-1',
    unplanned: 'accept',
    privacy: { user_id: 'hash', phone: 'phone', correlation_id: 'secret' },
    events: {
      signup: { properties: { user_id: { type: 'string' }, phone: { type: 'string', privacy: 'secret' } } },
      visit: { properties: { page: { type: 'string' } } }
    }
  })
}

describe('privacy step with global rules', () => {
  const plan = globalPlan()

  it('hashes the canonical user_id and the property of the same name alike', () => {
    const event = canonical({ eventName: 'visit', userId: 'u_1', properties: { page: '/', user_id: 'u_1' } })
    expect(run(event, plan)).toEqual({ ...event, userId: hmacId(key, 'u_1'), properties: { page: '/', user_id: hmacId(key, 'u_1') } })
  })

  it('applies to events the plan does not know, at every depth', () => {
    const event = canonical({ eventName: 'unknown_thing', userId: 'u_2', properties: { contact: { phone: '13812345678', userId: 'u_2' } } })
    expect(run(event, plan)).toEqual({ ...event, userId: hmacId(key, 'u_2'), properties: { contact: { phone: '*******5678', userId: hmacId(key, 'u_2') } } })
  })

  it('lets the event\'s own rule win over the global one', () => {
    expect(run(canonical({ eventName: 'signup', properties: { phone: '13812345678' } }), plan).properties).toEqual({})
    expect(run(canonical({ eventName: 'visit', properties: { phone: '13812345678' } }), plan).properties).toEqual({ phone: '*******5678' })
  })

  it('sets a canonical field under `secret` to null', () => {
    const event = canonical({ eventName: 'visit', correlationId: 'corr-1' })
    expect(run(event, plan)).toEqual({ ...event, correlationId: null })
  })

  it('gives the same hash for the same user whatever the event, and another under another key', () => {
    const a = run(canonical({ eventName: 'visit', userId: 'u_1' }), plan)
    const b = run(canonical({ eventName: 'signup', userId: 'u_1' }), plan)
    expect(a.userId).toBe(b.userId)
    const other = privacy(canonical({ eventName: 'visit', userId: 'u_1' }), context({ plan, privacyKey: Buffer.from('another-key') }))
    expect(other.ok && other.event.userId).not.toBe(a.userId)
  })

  it('does not reuse merged rules across plans that share compiled events', () => {
    const visit = canonical({ eventName: 'visit', userId: 'u_1' })
    expect(run(visit, plan).userId).toBe(hmacId(key, 'u_1'))
    const withoutGlobal: CompiledPlan = { ...plan, privacy: new Map() }
    expect(run(visit, withoutGlobal)).toBe(visit)
  })
})
