import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ErrorObject } from 'ajv'
import { afterAll, describe, expect, it } from 'vitest'
import { fixtureDir, thrown } from '../../support/helpers.js'
import { parse as parseYaml } from 'yaml'
import { PulseGateError } from '../../../processors/errors.js'
import { CANONICAL_FIELDS, compilePlan, DEFAULT_PLAN_PATH, loadPlan, rejectionOf } from '../../../processors/plan/compile.js'
import { packageRoot } from '../../../processors/package-root.js'
import type { PlanDocument } from '../../../processors/plan/plan.js'

/** Every event SPEC §5 lists for the default plan. */
const SPEC_EVENTS = [
  // billiards
  'qr_scan', 'session_start', 'session_end_request', 'billing_frozen', 'payment_create', 'payment_success',
  'reservation_create', 'reservation_expire', 'heartbeat_receive', 'alarm_raise',
  // web
  'page_view', 'page_leave', 'button_click', 'form_submit', 'search', 'error_occurred', 'api_call', 'page_load',
  // finance
  'real_name_verified', 'card_bound', 'member_purchase', 'credit_order_created', 'member_deduction', 'refund',
  // escort platform
  'order_created', 'order_paid', 'order_cancelled', 'order_completed', 'escort_register', 'escort_reviewed',
  'escort_work_status_change', 'order_grab', 'order_arrive', 'coupon_claimed', 'coupon_used', 'points_earned',
  'points_used', 'membership_upgraded',
  // server
  'api_request', 'session.start', 'message.ai',
  // PulseGate's own
  'billing_settled', 'device_online', 'device_offline', 'alarm_clear', 'expectation_missed'
]

const fixtures = fixtureDir('pulsegate-plan-test-')
afterAll(() => fixtures.remove())
const writePlan = (name: string, text: string): string => fixtures.write(name, text)

function planError(message: string) {
  return { name: 'PulseGateError', code: 'PG_ERR_PLAN_INVALID', statusCode: 500, message: `The tracking plan is invalid: ${message}` }
}

function shapeOf(err: PulseGateError) {
  return { name: err.name, code: err.code, statusCode: err.statusCode, message: err.message }
}

describe('loadPlan: the shipped default plan', () => {
  const plan = loadPlan()

  it('is tracking-plan/default.yaml at the package root', () => {
    expect(DEFAULT_PLAN_PATH).toBe(join(packageRoot(), 'tracking-plan', 'default.yaml'))
  })

  it('is version 1.0 and rejects unplanned events', () => {
    expect({ version: plan.version, unplanned: plan.unplanned }).toEqual({ version: '1.0', unplanned: 'reject' })
  })

  it('holds every event SPEC §5 lists', () => {
    const missing = SPEC_EVENTS.filter((name) => !plan.events.has(name))
    expect(missing).toEqual([])
  })

  it('names each compiled event by its key and compiles a validator for it', () => {
    for (const [name, event] of plan.events) {
      expect(event.name).toBe(name)
      expect(typeof event.validate).toBe('function')
    }
  })

  it('names the idempotency keys SPEC §5 gives (payment_id for payment_success, order_id for order_created)', () => {
    const keys = Object.fromEntries([...plan.events].filter(([, e]) => e.idempotencyKey !== undefined).map(([n, e]) => [n, e.idempotencyKey]))
    expect(keys).toEqual({
      session_start: 'session_id',
      payment_create: 'payment_id',
      payment_success: 'payment_id',
      reservation_create: 'reservation_id',
      reservation_expire: 'reservation_id',
      member_purchase: 'order_id',
      credit_order_created: 'order_id',
      order_created: 'order_id',
      order_cancelled: 'order_id',
      order_completed: 'order_id',
      billing_settled: 'payment_id'
    })
  })

  it('lists the canonical fields each event declares', () => {
    expect(CANONICAL_FIELDS).toEqual(['user_id', 'session_id', 'store_id', 'device_id'])
    expect(plan.events.get('session_start')?.canonical).toEqual(['session_id', 'store_id'])
    expect(plan.events.get('heartbeat_receive')?.canonical).toEqual(['device_id'])
    expect(plan.events.get('points_earned')?.canonical).toEqual(['user_id'])
    expect(plan.events.get('page_view')?.canonical).toEqual([])
  })

  it('validates with the plan\'s JSON schema and ignores PulseGate\'s own keywords (required, privacy, unit)', () => {
    const validate = plan.events.get('escort_register')?.validate
    expect(validate?.({ escort_id: 'esc_1', phone: '13800138000', latitude: 31.2 })).toBe(true)
    expect(validate?.({ phone: '13800138000' })).toBe(false)
    expect(validate?.errors?.[0]).toMatchObject({ keyword: 'required', params: { missingProperty: 'escort_id' } })
  })

  it('is the same plan when loaded from its path explicitly', () => {
    const again = loadPlan(DEFAULT_PLAN_PATH)
    expect([again.version, again.unplanned, [...again.events.keys()]]).toEqual([plan.version, plan.unplanned, [...plan.events.keys()]])
  })
})

describe('the shipped default.yaml as written', () => {
  const doc = parseYaml(readFileSync(DEFAULT_PLAN_PATH, 'utf8')) as PlanDocument
  const properties = Object.entries(doc.events).flatMap(([event, spec]) =>
    Object.entries(spec.properties ?? {}).map(([name, p]) => ({ event, name, p })))

  it('names, as each idempotency key, a required property of its event', () => {
    const bad = Object.entries(doc.events)
      .filter(([, spec]) => spec.idempotency_key !== undefined && spec.properties?.[spec.idempotency_key]?.required !== true)
      .map(([name]) => name)
    expect(bad).toEqual([])
  })

  it('uses only the privacy rules PulseGate knows', () => {
    const known = ['phone', 'id_number', 'address', 'secret', 'hash']
    expect(properties.filter(({ p }) => p.privacy !== undefined && !known.includes(p.privacy)).map(({ event, name }) => `${event}.${name}`)).toEqual([])
  })

  it('keeps every amount in minor units as an integer', () => {
    const minor = properties.filter(({ p }) => p.unit !== undefined)
    expect(minor.filter(({ p }) => p.unit !== 'minor' || p.type !== 'integer').map(({ event, name }) => `${event}.${name}`)).toEqual([])
    const amounts = properties.filter(({ name }) => name === 'amount')
    expect(amounts.filter(({ p }) => p.unit !== 'minor').map(({ event }) => event)).toEqual([])
  })

  it('names every event so that normalize accepts the name', () => {
    expect(Object.keys(doc.events).filter((name) => !/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(name))).toEqual([])
  })

  it('gives every event a description and a group', () => {
    expect(Object.entries(doc.events).filter(([, spec]) => !spec.description || !spec.group).map(([name]) => name)).toEqual([])
  })
})

describe('loadPlan: files', () => {
  it('loads a plan file of its own', () => {
    const path = writePlan('own.yaml', 'version: "2024.1"\nunplanned: accept\nevents:\n  ping:\n  order:\n    idempotency_key: order_id\n    properties:\n      order_id: { type: string, required: true }\n')
    const plan = loadPlan(path)
    expect({ version: plan.version, unplanned: plan.unplanned, names: [...plan.events.keys()] })
      .toEqual({ version: '2024.1', unplanned: 'accept', names: ['ping', 'order'] })
    expect(plan.events.get('order')?.idempotencyKey).toBe('order_id')
    expect(plan.events.get('ping')?.idempotencyKey).toBeUndefined()
  })

  it('reports a missing file as PG_ERR_PLAN_INVALID naming the path', () => {
    const path = join(fixtures.dir, 'absent.yaml')
    const err = thrown(() => loadPlan(path))
    expect(err).toBeInstanceOf(PulseGateError)
    expect(shapeOf(err)).toEqual(planError(`${path}: ENOENT: no such file or directory, open '${path}'`))
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })

  it('reports broken YAML as PG_ERR_PLAN_INVALID naming the path', () => {
    const path = writePlan('broken.yaml', 'version: "1"\nevents: [unclosed\n')
    const err = thrown(() => loadPlan(path))
    expect([err.code, err.message.startsWith(`The tracking plan is invalid: ${path}: `)]).toEqual(['PG_ERR_PLAN_INVALID', true])
  })

  it('names the file in shape and event errors', () => {
    const path = writePlan('bad-event.yaml', 'version: "1"\nunplanned: reject\nevents:\n  qr_scan:\n    properties:\n      table_code: { type: strng }\n')
    expect(thrown(() => loadPlan(path)).message).toMatch(new RegExp(`^The tracking plan is invalid: ${path}: event qr_scan: schema is invalid`))
    const shapeless = writePlan('shapeless.yaml', 'unplanned: maybe\n')
    expect(shapeOf(thrown(() => loadPlan(shapeless))))
      .toEqual(planError(`${shapeless}: version is missing; unplanned must be reject or accept; events must be a mapping`))
  })
})

describe('compilePlan: malformed plans', () => {
  it.each([['null', null], ['a string', 'plan'], ['a number', 42], ['undefined', undefined]])('refuses %s as not a mapping', (_what, doc) => {
    expect(shapeOf(thrown(() => compilePlan(doc)))).toEqual(planError('plan: must be a mapping'))
  })

  it('reports every shape problem together, under the given origin', () => {
    expect(shapeOf(thrown(() => compilePlan({}, 'custom.yaml'))))
      .toEqual(planError('custom.yaml: version is missing; unplanned must be reject or accept; events must be a mapping'))
  })

  it('refuses an unplanned setting other than reject or accept', () => {
    expect(shapeOf(thrown(() => compilePlan({ version: '1', unplanned: 'drop', events: {} }))))
      .toEqual(planError('plan: unplanned must be reject or accept'))
  })

  it('refuses events that are not a mapping', () => {
    expect(shapeOf(thrown(() => compilePlan({ version: '1', unplanned: 'reject', events: 'qr_scan' }))))
      .toEqual(planError('plan: events must be a mapping'))
  })

  it('names the event whose property uses an unknown keyword', () => {
    const doc = { version: '1', unplanned: 'reject', events: { ok: {}, qr_scan: { properties: { table_code: { type: 'string', maxlength: 3 } } } } }
    const err = thrown(() => compilePlan(doc, 'p.yaml'))
    expect(shapeOf(err)).toEqual(planError('p.yaml: event qr_scan: strict mode: unknown keyword: "maxlength"'))
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('names the event whose property has an invalid type', () => {
    const doc = { version: '1', unplanned: 'reject', events: { qr_scan: { properties: { table_code: { type: 'strin' } } } } }
    expect(thrown(() => compilePlan(doc)).message).toMatch(/^The tracking plan is invalid: plan: event qr_scan: schema is invalid: /)
  })

  it('names the event and property whose property spec is empty', () => {
    const doc = { version: '1', unplanned: 'reject', events: { billing_frozen: { properties: { amount: null } } } }
    expect(shapeOf(thrown(() => compilePlan(doc)))).toEqual(planError('plan: event billing_frozen.amount: must be a mapping (a JSON-schema fragment)'))
  })

  it('reports the compile errors of every event together, each cause kept', () => {
    const doc = { version: '1', unplanned: 'reject', events: { a: { properties: { x: { type: 'strin' } } }, b: { properties: { y: { type: 'string', maxlength: 3 } } } } }
    const err = thrown(() => compilePlan(doc))
    expect(err.message).toMatch(/^The tracking plan is invalid: plan: event a: schema is invalid: .*; event b: strict mode: unknown keyword: "maxlength"$/)
    expect((err.cause as AggregateError).errors).toHaveLength(2)
  })

  it('names the event whose keyword lacks the type it applies to (ajv strictTypes)', () => {
    const doc = { version: '1', unplanned: 'reject', events: { alarm_raise: { properties: { level: { maximum: 3 } } } } }
    expect(shapeOf(thrown(() => compilePlan(doc))))
      .toEqual(planError('plan: event alarm_raise: strict mode: missing type "number" for keyword "maximum" at "#/properties/level" (strictTypes)'))
  })
})

describe('compilePlan: well-formed plans', () => {
  it('reads the version as text and an empty event as one without properties', () => {
    const plan = compilePlan({ version: 3, unplanned: 'accept', events: { ping: null } })
    expect({ version: plan.version, unplanned: plan.unplanned, ping: { ...plan.events.get('ping'), validate: undefined } })
      .toEqual({ version: '3', unplanned: 'accept', ping: { name: 'ping', idempotencyKey: undefined, canonical: [], declared: new Set(), privacy: new Map(), validate: undefined } })
    expect(plan.events.get('ping')?.validate({ anything: 1 })).toBe(true)
  })

  it('accepts an empty event list', () => {
    expect(compilePlan({ version: '1', unplanned: 'reject', events: {} }).events.size).toBe(0)
  })

  it('applies the plan-wide additional_properties unless an event sets its own', () => {
    const plan = compilePlan({
      version: '1', unplanned: 'reject', additional_properties: false,
      events: { closed: { properties: { a: { type: 'string' } } }, open: { additional_properties: true, properties: { a: { type: 'string' } } } }
    })
    expect(plan.events.get('closed')?.validate({ a: 'x', b: 1 })).toBe(false)
    expect(plan.events.get('open')?.validate({ a: 'x', b: 1 })).toBe(true)
  })

  it('defaults to allowing additional properties', () => {
    const plan = compilePlan({ version: '1', unplanned: 'reject', events: { e: { properties: { a: { type: 'string' } } } } })
    expect(plan.events.get('e')?.validate({ a: 'x', b: 1 })).toBe(true)
  })

  it('makes required: true properties required and strips privacy and unit', () => {
    const plan = compilePlan({
      version: '1', unplanned: 'reject',
      events: { e: { properties: { phone: { type: 'string', required: true, privacy: 'phone' }, amount: { type: 'integer', unit: 'minor' } } } }
    })
    const validate = plan.events.get('e')?.validate
    expect([validate?.({ phone: '1', amount: 1 }), validate?.({ amount: 1 })]).toEqual([true, false])
  })

  it('does not coerce types', () => {
    const plan = compilePlan({ version: '1', unplanned: 'reject', events: { e: { properties: { n: { type: 'integer' } } } } })
    const data = { n: '5' }
    expect(plan.events.get('e')?.validate(data)).toBe(false)
    expect(data).toEqual({ n: '5' })
  })

  it('checks the date-time, email and uri formats', () => {
    const plan = compilePlan({
      version: '1', unplanned: 'reject',
      events: { e: { properties: { at: { type: 'string', format: 'date-time' }, mail: { type: 'string', format: 'email' }, link: { type: 'string', format: 'uri' } } } }
    })
    const validate = plan.events.get('e')?.validate
    expect(validate?.({ at: '2024-01-15T10:30:45Z', mail: 'a@example.com', link: 'https://example.com/x' })).toBe(true)
    expect([validate?.({ at: 'today' }), validate?.({ mail: 'nope' }), validate?.({ link: 'not a uri' })]).toEqual([false, false, false])
  })
})

describe('rejectionOf: ajv errors as stable rejection codes', () => {
  const error = (keyword: string, instancePath: string, params: Record<string, unknown>, message?: string): ErrorObject =>
    ({ keyword, instancePath, schemaPath: `#/${keyword}`, params, ...(message === undefined ? {} : { message }) })

  it('maps no error to a generic invalid', () => {
    expect(rejectionOf(undefined)).toEqual({ code: 'invalid', path: '/properties', message: 'invalid properties' })
  })

  it('maps required to required_missing at the missing property', () => {
    expect(rejectionOf(error('required', '', { missingProperty: 'amount' }, "must have required property 'amount'")))
      .toEqual({ code: 'required_missing', path: '/properties/amount', message: 'amount is required' })
    expect(rejectionOf(error('required', '/shipping', { missingProperty: 'city' })))
      .toEqual({ code: 'required_missing', path: '/properties/shipping/city', message: 'city is required' })
  })

  it('maps additionalProperties to additional_property at the extra property', () => {
    expect(rejectionOf(error('additionalProperties', '', { additionalProperty: 'coupon' }, 'must NOT have additional properties')))
      .toEqual({ code: 'additional_property', path: '/properties/coupon', message: 'coupon is not in the tracking plan' })
  })

  it('maps type to type_mismatch naming the type', () => {
    expect(rejectionOf(error('type', '/amount', { type: 'integer' }, 'must be integer')))
      .toEqual({ code: 'type_mismatch', path: '/properties/amount', message: 'must be integer' })
    expect(rejectionOf(error('type', '', { type: 'object' })))
      .toEqual({ code: 'type_mismatch', path: '/properties', message: 'must be object' })
  })

  it('maps enum to enum_mismatch listing the allowed values', () => {
    expect(rejectionOf(error('enum', '/online', { allowedValues: [0, 1] }, 'must be equal to one of the allowed values')))
      .toEqual({ code: 'enum_mismatch', path: '/properties/online', message: 'must be one of 0, 1' })
  })

  it.each([
    ['maxLength', '/table_code', { limit: 128 }, 'must NOT have more than 128 characters'],
    ['minimum', '/amount', { comparison: '>=', limit: 0 }, 'must be >= 0'],
    ['pattern', '/card_last4', { pattern: '^[0-9]{4}$' }, 'must match pattern "^[0-9]{4}$"'],
    ['format', '/at', { format: 'date-time' }, 'must match format "date-time"'],
    ['maxItems', '/tags/0', { limit: 2 }, 'must NOT have more than 2 items']
  ])('maps %s to constraint_violation with the keyword and ajv\'s message', (keyword, instancePath, params, message) => {
    expect(rejectionOf(error(keyword, instancePath, params, message)))
      .toEqual({ code: 'constraint_violation', path: `/properties${instancePath}`, message: `${keyword}: ${message}` })
  })

  it('says invalid when ajv gave no message', () => {
    expect(rejectionOf(error('const', '/x', { allowedValue: 1 })))
      .toEqual({ code: 'constraint_violation', path: '/properties/x', message: 'const: invalid' })
  })
})

describe('regressions', () => {
  // checkShape tests `typeof d.events !== 'object'`, which null passes: a YAML `events:` with
  // nothing under it crashes Object.entries with a TypeError instead of a coded plan error.
  it('refuses an empty events key (YAML `events:`) as PG_ERR_PLAN_INVALID (plan-events-null-typeerror)', () => {
    expect(shapeOf(thrown(() => compilePlan({ version: '1', unplanned: 'reject', events: null }))))
      .toEqual(planError('plan: events must be a mapping'))
  })

  // jsonSchemaOf drops `required` from every property spec, also a JSON-schema `required` array of
  // a nested object: the plan reads as requiring shipping.city and accepts orders without it.
  it('keeps a nested object\'s JSON-schema required list (nested-required-dropped)', () => {
    const plan = compilePlan({
      version: '1', unplanned: 'reject',
      events: { order: { properties: { shipping: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }
    })
    expect(plan.events.get('order')?.validate({ shipping: {} })).toBe(false)
  })
})
