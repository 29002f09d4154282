import { describe, expect, it } from 'vitest'
import { applyRule, maskFields, MAX_DEPTH, type Rules } from '../../../processors/privacy/apply.js'
import { hmacId } from '../../../processors/privacy/mask.js'
import type { PrivacyRule } from '../../../processors/plan/plan.js'

const key = Buffer.from('test-privacy-key')

/** Freezes every level, so a mutation anywhere throws in strict mode. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze)
    Object.freeze(value)
  }
  return value
}

describe('applyRule', () => {
  it('masks strings by their rule', () => {
    expect(applyRule('phone', '13812345678', key)).toEqual({ keep: true, value: '*******5678' })
    expect(applyRule('id_number', '110105199001011234', key)).toEqual({ keep: true, value: '110105********1234' })
    expect(applyRule('address', '广东省深圳市南山区科技园', key)).toEqual({ keep: true, value: '广东省深圳市' })
    expect(applyRule('address', '221B Baker Street, London, UK', key)).toEqual({ keep: true, value: 'London, UK' })
    expect(applyRule('hash', 'user_123', key)).toEqual({ keep: true, value: hmacId(key, 'user_123') })
  })

  it('drops a secret whatever its type', () => {
    for (const value of ['hunter2', 42, { pin: '0000' }, null]) expect(applyRule('secret', value, key)).toEqual({ keep: false })
  })

  it('masks numbers as their digits, and hashes 42 like "42"', () => {
    expect(applyRule('phone', 13812345678, key)).toEqual({ keep: true, value: '*******5678' })
    // A 15-digit (first-generation) ID number: 18 digits would not survive as a JSON number anyway.
    expect(applyRule('id_number', 110105900101123, key)).toEqual({ keep: true, value: '110105*****1123' })
    expect(applyRule('hash', 42, key)).toEqual({ keep: true, value: hmacId(key, '42') })
  })

  it('drops values of other types: they cannot be masked, so they are not kept', () => {
    for (const rule of ['phone', 'id_number', 'hash'] as const) {
      for (const value of [true, ['13812345678'], { n: '13812345678' }, Number.NaN]) {
        expect(applyRule(rule, value, key)).toEqual({ keep: false })
      }
    }
  })

  it('turns an unparseable address into null rather than keeping it', () => {
    expect(applyRule('address', '世纪大道100号', key)).toEqual({ keep: true, value: null })
    expect(applyRule('address', 42, key)).toEqual({ keep: true, value: null })
  })

  it('keeps an absent value absent', () => {
    expect(applyRule('phone', null, key)).toEqual({ keep: true, value: null })
  })

  it('drops under a rule it does not know (a typo in the plan fails closed)', () => {
    expect(applyRule('email' as PrivacyRule, 'a@example.com', key)).toEqual({ keep: false })
  })
})

describe('maskFields', () => {
  const rules: Rules = new Map<string, PrivacyRule>([
    ['phone', 'phone'], ['id_number', 'id_number'], ['address', 'address'], ['password', 'secret'], ['user_id', 'hash']
  ])

  it('applies rules by field name at every depth, in objects and arrays of objects', () => {
    const input = deepFreeze({
      phone: '13812345678',
      password: 'hunter2',
      contact: { phone: '+86 138-1234-5678', name: 'Li', address: { province: '广东省', city: '深圳市', street: '科技园路1号' } },
      passengers: [{ id_number: '110105199001011234', seat: '12A' }, { id_number: 'AB1234567890', password: 'x' }],
      matrix: [[{ user_id: 'u1' }]],
      tags: ['13812345678'],
      count: 3
    })
    expect(maskFields(input, rules, key)).toEqual({
      phone: '*******5678',
      contact: { phone: '+** ***-****-5678', name: 'Li', address: { province: '广东省', city: '深圳市' } },
      passengers: [{ id_number: '110105********1234', seat: '12A' }, { id_number: 'AB1234**7890' }],
      matrix: [[{ user_id: hmacId(key, 'u1') }]],
      // Rules go by field name: a bare string in a list has none.
      tags: ['13812345678'],
      count: 3
    })
  })

  it('never mutates its input', () => {
    const input = { phone: '13812345678', nested: { password: 'x', list: [{ phone: '13912345678' }] } }
    const before = structuredClone(input)
    maskFields(input, rules, key)
    expect(input).toEqual(before)
  })

  it('returns a new object even when no rule applies', () => {
    const input = { page: '/home', nested: { a: 1 } }
    const out = maskFields(input, rules, key)
    expect(out).toEqual(input)
    expect(out).not.toBe(input)
  })

  it('keeps a `__proto__` field an own field and leaves the prototype alone', () => {
    const input = JSON.parse('{"__proto__": {"phone": "13812345678"}, "x": 1}') as Record<string, unknown>
    const out = maskFields(input, rules, key)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(JSON.stringify(out)).toBe('{"__proto__":{"phone":"*******5678"},"x":1}')
  })

  it(`replaces subtrees deeper than ${MAX_DEPTH} by null instead of walking them`, () => {
    let deep: Record<string, unknown> = { phone: '13812345678' }
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const out = maskFields({ top: deep }, rules, key)
    // `top` is at depth 1 (the argument itself at 0); walk down to depth MAX_DEPTH.
    let level = out.top as Record<string, unknown>
    for (let depth = 1; depth < MAX_DEPTH; depth++) level = level.d as Record<string, unknown>
    expect(level).toEqual({ d: null })
  })
})
