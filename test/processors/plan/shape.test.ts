import { describe, expect, it } from 'vitest'
import { thrown } from '../../support/helpers.js'
import { compilePlan, loadPlan } from '../../../processors/plan/compile.js'
import { checkShape } from '../../../processors/plan/shape.js'

const plan = (over: Record<string, unknown>) => ({ version: '1.0', unplanned: 'reject', ...over })
const error = (path: string[], subject: string, message: string) => ({ path, subject, message, severity: 'error' })

describe('checkShape: PulseGate keywords', () => {
  it('reports every privacy, unit and idempotency_key problem of the file together, each with its event and property', () => {
    const doc = plan({
      privacy: { phone: 'mask', user_id: 'hash' },
      events: {
        order_created: {
          idempotency_key: 'order_no',
          properties: { order_id: { type: 'string' }, amount: { type: 'integer', unit: 'cents' }, phone: { type: 'string', privacy: 'mobile' } }
        },
        refund: { idempotency_key: 7 }
      }
    })
    expect(checkShape(doc)).toEqual([
      error(['privacy', 'phone'], 'privacy.phone', 'privacy rule must be one of phone, id_number, address, secret, hash, not "mask"'),
      error(['events', 'order_created', 'properties', 'amount', 'unit'], 'order_created.amount', 'unit must be minor, not "cents"'),
      error(['events', 'order_created', 'properties', 'phone', 'privacy'], 'order_created.phone', 'privacy rule must be one of phone, id_number, address, secret, hash, not "mobile"'),
      error(['events', 'order_created', 'idempotency_key'], 'order_created', 'idempotency_key "order_no" is neither a declared property nor one of user_id, session_id, store_id, device_id'),
      error(['events', 'refund', 'idempotency_key'], 'refund', 'idempotency_key 7 is neither a declared property nor one of user_id, session_id, store_id, device_id')
    ])
    expect(thrown(() => compilePlan(doc, 'p.yaml')).message).toBe('The tracking plan is invalid: p.yaml: ' + [
      'privacy.phone: privacy rule must be one of phone, id_number, address, secret, hash, not "mask"',
      'event order_created.amount: unit must be minor, not "cents"',
      'event order_created.phone: privacy rule must be one of phone, id_number, address, secret, hash, not "mobile"',
      'event order_created: idempotency_key "order_no" is neither a declared property nor one of user_id, session_id, store_id, device_id',
      'event refund: idempotency_key 7 is neither a declared property nor one of user_id, session_id, store_id, device_id'
    ].join('; '))
  })

  it('accepts every known privacy rule, unit minor, and an idempotency_key naming a declared property or a canonical id', () => {
    const doc = plan({
      privacy: { phone: 'phone', id_card: 'id_number', address: 'address', token: 'secret', user_id: 'hash' },
      events: {
        session_start: { idempotency_key: 'session_id' },
        payment: { idempotency_key: 'payment_id', properties: { payment_id: { type: 'string' }, amount: { type: 'integer', unit: 'minor' } } }
      }
    })
    expect(checkShape(doc)).toEqual([])
    expect([...compilePlan(doc).privacy]).toEqual([['phone', 'phone'], ['id_card', 'id_number'], ['address', 'address'], ['token', 'secret'], ['user_id', 'hash']])
  })

  it('refuses a privacy section, an event or its properties that are not mappings', () => {
    expect(checkShape(plan({ privacy: ['phone'], events: { a: 'ping', b: { properties: [] }, c: null } }))).toEqual([
      error(['privacy'], '', 'privacy must be a mapping of field name to rule'),
      error(['events', 'a'], 'a', 'must be a mapping (or empty)'),
      error(['events', 'b', 'properties'], 'b', 'properties must be a mapping')
    ])
  })

  it('names the property whose enum repeats a value or whose nested required names no property, at any depth', () => {
    const doc = plan({
      events: {
        order: {
          properties: {
            status: { type: 'string', enum: ['open', 'paid', 'open'] },
            shipping: { type: 'object', properties: { city: { type: 'string' } }, required: ['city', 'zip'] },
            tags: { type: 'array', items: { type: 'integer', enum: [1, 1] } }
          }
        }
      }
    })
    expect(checkShape(doc)).toEqual([
      error(['events', 'order', 'properties', 'status', 'enum'], 'order.status', 'enum lists "open" more than once'),
      error(['events', 'order', 'properties', 'shipping', 'required'], 'order.shipping', 'required property zip is not declared'),
      error(['events', 'order', 'properties', 'tags', 'items', 'enum'], 'order.tags[]', 'enum lists 1 more than once')
    ])
  })

  it('does not compile an event with a shape problem, so ajv does not repeat it', () => {
    const doc = plan({ events: { a: { properties: { x: { type: 'string', privacy: 'x', maxlength: 3 } } } } })
    expect(thrown(() => compilePlan(doc)).message)
      .toBe('The tracking plan is invalid: plan: event a.x: privacy rule must be one of phone, id_number, address, secret, hash, not "x"')
  })
})

describe('the shipped default plan\'s global privacy map', () => {
  const shipped = loadPlan()
  const privacy = Object.fromEntries(shipped.privacy)

  it('covers the fields the seeds and the plan treat as personal, and leaves user_id as sent', () => {
    expect(privacy).toEqual({
      phone: 'phone', mobile: 'phone', id_number: 'id_number', id_card: 'id_number', address: 'address',
      real_name: 'secret', password: 'secret', token: 'secret', card_no: 'secret', card_number: 'secret',
      latitude: 'secret', longitude: 'secret'
    })
  })

  it('agrees with every per-property rule of the same field', () => {
    const disagreements = [...shipped.events.values()].flatMap((e) =>
      [...e.privacy].filter(([field, rule]) => field in privacy && privacy[field] !== rule).map(([field]) => `${e.name}.${field}`))
    expect(disagreements).toEqual([])
  })
})
