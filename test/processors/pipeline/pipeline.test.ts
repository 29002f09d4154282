import { describe, expect, it } from 'vitest'
import type { BatchContext } from '../../../processors/pipeline/context.js'
import { correctTime } from '../../../processors/pipeline/correct-time.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'
import { identify } from '../../../processors/pipeline/identify.js'
import { optOutStep } from '../../../processors/pipeline/opt-out.js'
import { gatewaySteps, processBatch, processOne, quarantineRows, steps, type Step } from '../../../processors/pipeline/pipeline.js'
import { validate } from '../../../processors/pipeline/validate.js'
import { canonical, context, DAY, EVENT_TIME, EVENT_TIME_ISO, HOUR, RECEIVED_AT, smallPlan } from './fixtures.js'

const ctx = context()
const rejection = (code: string, path: string, message: string) => ({ ok: false, rejection: { code, path, message } })

describe('steps', () => {
  it('runs validate, identify and correctTime after normalize, in that order', () => {
    expect(steps.map(([name]) => name)).toEqual(['validate', 'identify', 'correctTime'])
  })
})

describe('gatewaySteps', () => {
  it('runs optOut, validate, identify, privacy, correctTime and flag, in that order, with the steps it is given', () => {
    const optOut: Step = (event) => ({ ok: true, event })
    const privacy: Step = (event) => ({ ok: true, event })
    const flag: Step = (event) => ({ ok: true, event })
    expect(gatewaySteps({ optOut, privacy, flag })).toEqual([
      ['optOut', optOut],
      ['validate', validate],
      ['identify', identify],
      ['privacy', privacy],
      ['correctTime', correctTime],
      ['flag', flag]
    ])
  })
})

describe('processOne: every rejection code the pipeline produces', () => {
  const small = context({ plan: smallPlan('reject', false), limits: { ...ctx.limits, maxEventBytes: 256 } })
  const ok = { event_name: 'order', event_time: EVENT_TIME_ISO }
  it.each([
    ['not_an_object', [1, 2], rejection('not_an_object', '', 'an event must be a JSON object')],
    ['required_missing (event_name)', { event_time: EVENT_TIME_ISO }, rejection('required_missing', '/event_name', 'event_name must be a string')],
    ['required_missing (event_time)', { event_name: 'order' }, rejection('required_missing', '/event_time', 'event_time is required')],
    ['required_missing (properties)', { ...ok, properties: { order_id: 'o1' } }, rejection('required_missing', '/properties/amount', 'amount is required')],
    ['type_mismatch (event_name)', { ...ok, event_name: 7 }, rejection('type_mismatch', '/event_name', 'event_name must be a string')],
    ['type_mismatch (properties)', { ...ok, properties: 'x' }, rejection('type_mismatch', '/properties', 'properties must be an object')],
    ['type_mismatch (canonical field)', { ...ok, session_id: true }, rejection('type_mismatch', '/session_id', 'session_id must be a string')],
    ['type_mismatch (property)', { ...ok, properties: { order_id: 'o1', amount: '1' } }, rejection('type_mismatch', '/properties/amount', 'must be integer')],
    ['bad_event_name', { ...ok, event_name: 'page view' }, rejection('bad_event_name', '/event_name', 'event_name must start with a letter and hold at most 128 letters, digits, _ . : -')],
    ['bad_event_id', { ...ok, event_id: '' }, rejection('bad_event_id', '/event_id', 'event_id must be a string of 1 to 128 characters')],
    ['bad_timestamp', { ...ok, event_time: '2024-01-15T10:30:45' }, rejection('bad_timestamp', '/event_time', 'event_time must be ISO 8601 with a zone, or epoch milliseconds')],
    ['unplanned_event', { ...ok, event_name: 'mystery' }, rejection('unplanned_event', '/event_name', 'mystery is not in the tracking plan')],
    ['enum_mismatch', { ...ok, properties: { order_id: 'o1', amount: 1, method: 'cash' } }, rejection('enum_mismatch', '/properties/method', 'must be one of wechat, alipay')],
    ['additional_property', { ...ok, order_id: 'o1', amount: 1, coupon: 'x' }, rejection('additional_property', '/properties/coupon', 'coupon is not in the tracking plan')],
    ['constraint_violation', { ...ok, properties: { order_id: 'o1', amount: -5 } }, rejection('constraint_violation', '/properties/amount', 'minimum: must be >= 0')],
    ['out_of_retention', { ...ok, event_time: RECEIVED_AT - 91 * DAY, properties: { order_id: 'o1', amount: 1 } }, rejection('out_of_retention', '/event_time', 'older than the 90-day retention')],
    ['too_large', { ...ok, properties: { order_id: 'o1', amount: 1, note: 'x'.repeat(300) } }, rejection('too_large', '', 'the event is over max_event_bytes (256)')]
  ])('%s', (_code, raw, expected) => {
    expect(processOne(raw, small)).toEqual(expected)
  })
})

describe('processOne: accepted events', () => {
  it('produces the whole canonical event of a flat event through every step', () => {
    const raw = {
      event_name: 'payment_success', event_time: '2024-01-15T18:30:45.123+08:00', user_id: 'usr_abc123', platform: 'miniapp',
      payment_id: 'pay_xyz123', amount: 4500, coupon_used: true, activity_tags: ['new_user', 'weekend_promo']
    }
    expect(processOne(raw, ctx)).toEqual({
      ok: true,
      event: canonical({
        eventId: 'k:payment_success:pay_xyz123', eventName: 'payment_success', userId: 'usr_abc123', platform: 'miniprogram',
        properties: { payment_id: 'pay_xyz123', amount: 4500, coupon_used: true, activity_tags: ['new_user', 'weekend_promo'] }
      })
    })
  })

  it('accepts an unplanned event, flagged, when the plan says accept', () => {
    expect(processOne({ event_name: 'mystery', event_time: EVENT_TIME, colour: 'red' }, context({ plan: smallPlan('accept') }))).toEqual({
      ok: true,
      event: canonical({
        eventId: 'd:PqSYhKWu4J3Jh_dcNjHyQpk4o0fsP5fh', eventName: 'mystery', properties: { colour: 'red' }, flags: ['unplanned']
      })
    })
  })

  it('flags an unplanned event that is also skewed with both, in step order', () => {
    const sentAt = RECEIVED_AT - HOUR
    const eventTime = sentAt - 10_000
    const result = processOne({ event_id: 'e1', event_name: 'mystery', event_time: eventTime }, context({ sentAt, plan: smallPlan('accept') }))
    expect(result).toEqual({
      ok: true,
      event: canonical({ eventId: 'e1', eventName: 'mystery', sentAt, eventTime, occurredAt: eventTime + HOUR, skewMs: HOUR, flags: ['unplanned', 'clock_skew'] })
    })
  })

  it('measures the event size in UTF-8 bytes', () => {
    const limits = { ...ctx.limits, maxEventBytes: 256 }
    const plan = smallPlan('accept')
    const base = { event_id: 'e1', event_name: 'ping', event_time: EVENT_TIME, note: '' }
    const fits = 256 - Buffer.byteLength(JSON.stringify(base))
    expect(processOne({ ...base, note: 'x'.repeat(fits) }, context({ limits, plan })).ok).toBe(true)
    expect(processOne({ ...base, note: 'x'.repeat(fits + 1) }, context({ limits, plan }))).toEqual(rejection('too_large', '', 'the event is over max_event_bytes (256)'))
    // 台 is 3 bytes in UTF-8: a third as many characters overflow.
    expect(processOne({ ...base, note: '台'.repeat(Math.floor(fits / 3) + 1) }, context({ limits, plan }))).toEqual(rejection('too_large', '', 'the event is over max_event_bytes (256)'))
  })

  it('skips the size check when the whole input is known to be small (checkEventSize false)', () => {
    const limits = { ...ctx.limits, maxEventBytes: 256 }
    const raw = { event_id: 'e1', event_name: 'ping', event_time: EVENT_TIME, note: 'x'.repeat(1000) }
    expect(processOne(raw, context({ limits, plan: smallPlan('accept'), checkEventSize: false }))).toEqual({
      ok: true, event: canonical({ eventId: 'e1', properties: { note: 'x'.repeat(1000) } })
    })
  })

  it('refuses undefined as not_an_object rather than throwing in the size check', () => {
    expect(processOne(undefined, ctx)).toEqual(rejection('not_an_object', '', 'an event must be a JSON object'))
  })

  it('stops at the first failing step: an unplanned event is not checked for retention', () => {
    expect(processOne({ event_name: 'mystery', event_time: RECEIVED_AT - 365 * DAY }, ctx))
      .toEqual(rejection('unplanned_event', '/event_name', 'mystery is not in the tracking plan'))
  })
})

describe('processBatch', () => {
  const plan = smallPlan('reject')
  const bctx = context({ plan })
  const raws: unknown[] = [
    { event_id: 'a', event_name: 'ping', event_time: EVENT_TIME },
    { event_id: 'b', event_name: 'mystery', event_time: EVENT_TIME },
    'not an event',
    { event_name: 'order', event_time: EVENT_TIME, properties: { order_id: 'o-9', amount: 100 } },
    { event_id: 42, event_name: 'ping', event_time: EVENT_TIME },
    { event_id: 'long-' + 'x'.repeat(200), event_name: 'ping', event_time: EVENT_TIME },
    { event_id: 'c', event_name: { nested: true }, event_time: EVENT_TIME }
  ]

  it('keeps the valid events with their index and lists every refused one with its index, id, name and reason', () => {
    expect(processBatch(raws, bctx)).toEqual({
      accepted: [
        { index: 0, event: canonical({ eventId: 'a' }) },
        { index: 3, event: canonical({ eventId: 'k:order:o-9', eventName: 'order', properties: { order_id: 'o-9', amount: 100 } }) }
      ],
      refused: [
        { index: 1, eventId: 'b', eventName: 'mystery', rejection: { code: 'unplanned_event', path: '/event_name', message: 'mystery is not in the tracking plan' } },
        { index: 2, eventId: null, eventName: null, rejection: { code: 'not_an_object', path: '', message: 'an event must be a JSON object' } },
        { index: 4, eventId: null, eventName: 'ping', rejection: { code: 'bad_event_id', path: '/event_id', message: 'event_id must be a string of 1 to 128 characters' } },
        { index: 5, eventId: ('long-' + 'x'.repeat(200)).slice(0, 128), eventName: 'ping', rejection: { code: 'bad_event_id', path: '/event_id', message: 'event_id must be a string of 1 to 128 characters' } },
        { index: 6, eventId: 'c', eventName: null, rejection: { code: 'type_mismatch', path: '/event_name', message: 'event_name must be a string' } }
      ],
      dropped: []
    })
  })

  it('returns empty lists for an empty batch', () => {
    expect(processBatch([], bctx)).toEqual({ accepted: [], refused: [], dropped: [] })
  })

  it('does not let one bad event affect the others', () => {
    const good = { event_id: 'g', event_name: 'ping', event_time: EVENT_TIME }
    const result = processBatch([good, null, good, [], good], bctx)
    expect(result.accepted.map((a) => a.index)).toEqual([0, 2, 4])
    expect(result.refused.map((r) => r.index)).toEqual([1, 3])
  })

  it('turns refused events into quarantine rows holding the raw payload', () => {
    const { refused } = processBatch(raws, bctx)
    const row = (index: number, eventId: string | null, eventName: string | null, code: string, path: string, message: string) => ({
      appId: 'app-1', receivedAt: RECEIVED_AT, source: 'http', eventId, eventName, code, path, message, payload: raws[index],
      sentAt: null, schemaVersion: 'v1.0'
    })
    expect(quarantineRows(raws, refused, bctx)).toEqual([
      row(1, 'b', 'mystery', 'unplanned_event', '/event_name', 'mystery is not in the tracking plan'),
      row(2, null, null, 'not_an_object', '', 'an event must be a JSON object'),
      row(4, null, 'ping', 'bad_event_id', '/event_id', 'event_id must be a string of 1 to 128 characters'),
      row(5, ('long-' + 'x'.repeat(200)).slice(0, 128), 'ping', 'bad_event_id', '/event_id', 'event_id must be a string of 1 to 128 characters'),
      row(6, 'c', null, 'type_mismatch', '/event_name', 'event_name must be a string')
    ])
  })

  it('keeps a null payload as null and takes the source, sentAt and schemaVersion from the context', () => {
    const sentAt = RECEIVED_AT - 5000
    const mqtt = context({ plan, source: 'mqtt', appId: 'devices', sentAt, schemaVersion: null })
    const raw = [null]
    expect(quarantineRows(raw, processBatch(raw, mqtt).refused, mqtt)).toEqual([{
      appId: 'devices', receivedAt: RECEIVED_AT, source: 'mqtt', eventId: null, eventName: null,
      code: 'not_an_object', path: '', message: 'an event must be a JSON object', payload: null,
      sentAt, schemaVersion: null
    }])
  })

  it('passes each payload through the mask before it becomes a quarantine row', () => {
    const input: unknown[] = [{ event_id: 'm1', event_name: 'mystery', event_time: EVENT_TIME, phone: '13800138000' }, null]
    const { refused } = processBatch(input, bctx)
    const seen: unknown[] = []
    const mask = (raw: unknown): unknown => { seen.push(raw); return { masked: raw === null ? 'null' : 'object' } }
    expect(quarantineRows(input, refused, bctx, mask)).toEqual([
      {
        appId: 'app-1', receivedAt: RECEIVED_AT, source: 'http', eventId: 'm1', eventName: 'mystery', code: 'unplanned_event',
        path: '/event_name', message: 'mystery is not in the tracking plan', payload: { masked: 'object' }, sentAt: null, schemaVersion: 'v1.0'
      },
      {
        appId: 'app-1', receivedAt: RECEIVED_AT, source: 'http', eventId: null, eventName: null, code: 'not_an_object',
        path: '', message: 'an event must be a JSON object', payload: { masked: 'null' }, sentAt: null, schemaVersion: 'v1.0'
      }
    ])
    expect(seen).toEqual(input)
  })

  it('refuses a pre-rejected index with the given rejection, without running the steps on it', () => {
    const seen: string[] = []
    const spy: Step = (event) => { seen.push(event.eventId); return { ok: true, event } }
    const input = [
      { event_id: 'p0', event_name: 'ping', event_time: EVENT_TIME },
      { event_id: 'p1', event_name: 'ping', event_time: EVENT_TIME }
    ]
    const shape = { code: 'bad_shape', path: '/device', message: 'device must be an object' }
    expect(processBatch(input, bctx, { steps: [['spy', spy]], preRejected: new Map([[0, shape]]) })).toEqual({
      accepted: [{ index: 1, event: canonical({ eventId: 'p1' }) }],
      refused: [{ index: 0, eventId: 'p0', eventName: 'ping', rejection: shape }],
      dropped: []
    })
    expect(seen).toEqual(['p1'])
  })

  it('puts ctx.extraFlags first in the flags of every accepted event', () => {
    const flagged = context({ plan: smallPlan('accept'), extraFlags: ['schema_version_unknown'] })
    const input = [
      { event_id: 'x1', event_name: 'ping', event_time: EVENT_TIME },
      { event_id: 'x2', event_name: 'mystery', event_time: EVENT_TIME },
      { event_id: 'x3', event_name: 'ping', event_time: EVENT_TIME }
    ]
    expect(processBatch(input, flagged)).toEqual({
      accepted: [
        { index: 0, event: canonical({ eventId: 'x1', flags: ['schema_version_unknown'] }) },
        { index: 1, event: canonical({ eventId: 'x2', eventName: 'mystery', flags: ['schema_version_unknown', 'unplanned'] }) },
        { index: 2, event: canonical({ eventId: 'x3', flags: ['schema_version_unknown'] }) }
      ],
      refused: [],
      dropped: []
    })
    expect(flagged.extraFlags).toEqual(['schema_version_unknown'])
  })
})

describe('processBatch with gatewaySteps: opt-out', () => {
  const plan = smallPlan('reject')
  const bctx = context({ plan })
  const pass: Step = (event) => ({ ok: true, event })

  function optedOut(...users: string[]) {
    const asked: Array<[string, string]> = []
    const has = (appId: string, userId: string): boolean => { asked.push([appId, userId]); return appId === 'app-1' && users.includes(userId) }
    return { has, asked }
  }

  it('drops an opted-out user\'s event into dropped (drop: true), not refused, and keeps the others', () => {
    const optOuts = optedOut('u-out')
    const list = gatewaySteps({ optOut: optOutStep(optOuts), privacy: pass, flag: pass })
    const input = [
      { event_id: 'o1', event_name: 'ping', event_time: EVENT_TIME, user_id: 'u-out' },
      { event_id: 'o2', event_name: 'ping', event_time: EVENT_TIME, user_id: 'u-in' },
      { event_id: 'o3', event_name: 'ping', event_time: EVENT_TIME }
    ]
    const batch = processBatch(input, bctx, { steps: list })
    expect(batch).toEqual({
      accepted: [
        { index: 1, event: canonical({ eventId: 'o2', userId: 'u-in' }) },
        { index: 2, event: canonical({ eventId: 'o3' }) }
      ],
      refused: [],
      dropped: [{
        index: 0, eventId: 'o1', eventName: 'ping',
        rejection: { code: 'opted_out', path: '/user_id', message: 'the user opted out: the event is dropped, not stored', drop: true }
      }]
    })
    expect(optOuts.asked).toEqual([['app-1', 'u-out'], ['app-1', 'u-in']])
    expect(quarantineRows(input, batch.refused, bctx)).toEqual([])
  })

  it('checks the opt-out on the raw user id, before privacy rewrites it', () => {
    const optOuts = optedOut('u-out')
    const hash: Step = (event: CanonicalEvent, _ctx: BatchContext) => ({ ok: true, event: { ...event, userId: event.userId === null ? null : `h:${event.userId}` } })
    const input = [
      { event_id: 'h1', event_name: 'ping', event_time: EVENT_TIME, user_id: 'u-out' },
      { event_id: 'h2', event_name: 'ping', event_time: EVENT_TIME, user_id: 'u-in' }
    ]
    const batch = processBatch(input, bctx, { steps: gatewaySteps({ optOut: optOutStep(optOuts), privacy: hash, flag: pass }) })
    expect(batch).toEqual({
      accepted: [{ index: 1, event: canonical({ eventId: 'h2', userId: 'h:u-in' }) }],
      refused: [],
      dropped: [{
        index: 0, eventId: 'h1', eventName: 'ping',
        rejection: { code: 'opted_out', path: '/user_id', message: 'the user opted out: the event is dropped, not stored', drop: true }
      }]
    })
  })

  it('returns no quarantine rows when nothing was refused', () => {
    expect(quarantineRows([], [], bctx)).toEqual([])
  })
})

describe('processOne: nesting', () => {
  const ctx = context({ plan: smallPlan('accept') })
  const nested = (levels: number): unknown => {
    let v: unknown = 'leaf'
    for (let i = 0; i < levels; i++) v = [v]
    return v
  }
  it('accepts an event exactly 32 levels deep and refuses one level more as too_deep', () => {
    // The event object is level 1, properties level 2, so 30 arrays below it reach level 32.
    expect(processOne({ event_name: 'mystery', event_time: EVENT_TIME_ISO, properties: { x: nested(30) } }, ctx).ok).toBe(true)
    expect(processOne({ event_name: 'mystery', event_time: EVENT_TIME_ISO, properties: { x: nested(31) } }, ctx))
      .toEqual(rejection('too_deep', '', 'the event nests deeper than 32 levels'))
  })

  it('refuses 200,000 levels without overflowing the stack (regression: a RangeError failed the whole batch with a 500)', () => {
    const raw = JSON.parse(`{"event_name":"mystery","event_time":"${EVENT_TIME_ISO}","properties":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`) as unknown
    expect(processOne(raw, context({ plan: smallPlan('accept'), checkEventSize: true }))).toEqual(rejection('too_deep', '', 'the event nests deeper than 32 levels'))
  })
})
