import { describe, expect, it } from 'vitest'
import { compilePlan } from '../../../processors/plan/compile.js'
import { hmacId } from '../../../processors/privacy/mask.js'
import { maskRawPayload } from '../../../processors/privacy/mask-payload.js'
import { defaultPlan } from '../pipeline/fixtures.js'

const key = Buffer.from('test-privacy-key')

describe('maskRawPayload on the shipped plan', () => {
  const plan = defaultPlan()

  it('masks an unknown event with every rule the plan declares anywhere', () => {
    const raw = {
      event_name: 'no_such_event', event_time: 1705314645123, user_id: 'u_1', phone: '13812345678',
      properties: { id_number: '110105199001011234', password: 'hunter2', address: '广东省深圳市南山区科技园', card_no: '6222020200001234', page: '/x' }
    }
    expect(maskRawPayload(raw, plan, key)).toEqual({
      event_name: 'no_such_event', event_time: 1705314645123, user_id: 'u_1', phone: '*******5678',
      properties: { id_number: '110105********1234', address: '广东省深圳市', page: '/x' }
    })
  })

  it('masks camelCase spellings as the escort SDK sends them', () => {
    const raw = {
      eventName: 'escortRegister', eventTime: '2024-01-15T10:30:45Z',
      properties: { idNumber: '110105199001011234', realName: '张三', mobile: '13912345678', cardNumber: '6222', latitude: 31.2 }
    }
    expect(maskRawPayload(raw, plan, key)).toEqual({
      eventName: 'escortRegister', eventTime: '2024-01-15T10:30:45Z',
      properties: { idNumber: '110105********1234', mobile: '*******5678' }
    })
  })

  it('masks a planned event that failed validation, nested values too', () => {
    const raw = { event_name: 'escort_register', properties: { escort_id: 42, contacts: [{ phone: '+86 138-1234-5678' }, { phone: 13912345678 }] } }
    expect(maskRawPayload(raw, plan, key)).toEqual({
      event_name: 'escort_register', properties: { escort_id: 42, contacts: [{ phone: '+** ***-****-5678' }, { phone: '*******5678' }] }
    })
  })

  it('returns non-objects as they are, long strings included', () => {
    const long = '13812345678'.repeat(50)
    for (const raw of ['13812345678', long, 42, null, true]) expect(maskRawPayload(raw, plan, key)).toBe(raw)
  })

  it('keeps long strings that no rule names', () => {
    const note = 'x'.repeat(1000)
    expect(maskRawPayload({ event_name: 'page_view', note }, plan, key)).toEqual({ event_name: 'page_view', note })
  })

  it('masks the events of a raw list', () => {
    expect(maskRawPayload([{ phone: '13812345678' }, 'text'], plan, key)).toEqual([{ phone: '*******5678' }, 'text'])
  })

  it('never mutates the payload', () => {
    const raw = { event_name: 'escort_register', phone: '13812345678', properties: { address: { province: '广东省', city: '深圳市', street: '科技园路1号' } } }
    const before = structuredClone(raw)
    expect(maskRawPayload(raw, plan, key)).toEqual({ event_name: 'escort_register', phone: '*******5678', properties: { address: { province: '广东省', city: '深圳市' } } })
    expect(raw).toEqual(before)
  })
})

describe('maskRawPayload: which rule wins', () => {
  const plan = compilePlan({
    version: 'payload-1',
    unplanned: 'reject',
    privacy: { user_id: 'hash' },
    events: {
      delivery: { properties: { address: { type: 'string', privacy: 'address' } } },
      kyc: { properties: { address: { type: 'string', privacy: 'secret' }, user_id: { type: 'string', privacy: 'secret' } } }
    }
  })

  it('takes the stricter rule when events disagree and the event is unknown', () => {
    expect(maskRawPayload({ event_name: 'other', address: '上海市浦东新区' }, plan, key)).toEqual({ event_name: 'other' })
  })

  it('takes the named event\'s own rule, on both spellings', () => {
    expect(maskRawPayload({ eventName: 'delivery', address: '上海市浦东新区' }, plan, key)).toEqual({ eventName: 'delivery', address: '上海市' })
    expect(maskRawPayload({ event_name: 'kyc', userId: 'u_1', user_id: 'u_1' }, plan, key)).toEqual({ event_name: 'kyc' })
  })

  it('lets the global rule win over what other events declare (kyc drops user_id, delivery hashes it)', () => {
    expect(maskRawPayload({ event_name: 'delivery', user_id: 'u_1', userId: 'u_1' }, plan, key))
      .toEqual({ event_name: 'delivery', user_id: hmacId(key, 'u_1'), userId: hmacId(key, 'u_1') })
  })
})
