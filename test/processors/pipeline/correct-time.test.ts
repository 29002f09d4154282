import { describe, expect, it } from 'vitest'
import { correctTime } from '../../../processors/pipeline/correct-time.js'
import { processBatch } from '../../../processors/pipeline/pipeline.js'
import { canonical, context, DAY, EVENT_TIME, HOUR, RECEIVED_AT, SECOND, smallPlan } from './fixtures.js'

/** An event stamped `eventTime`, as normalize hands it on. */
const at = (eventTime: number, flags: string[] = []) => canonical({ eventTime, occurredAt: eventTime, flags })

describe('correctTime: below the skew threshold nothing moves', () => {
  it('leaves occurredAt at eventTime when the client sent no sent_at', () => {
    const event = at(EVENT_TIME)
    expect(correctTime(event, context())).toEqual({ ok: true, event })
  })

  it.each([
    ['transit time', RECEIVED_AT - 800],
    ['a client clock 59.999 s behind', RECEIVED_AT - 59_999],
    ['a client clock 59.999 s ahead', RECEIVED_AT + 59_999],
    ['exactly the threshold', RECEIVED_AT - 60_000],
    ['exactly the threshold ahead', RECEIVED_AT + 60_000]
  ])('does not shift for %s', (_what, sentAt) => {
    const event = { ...at(EVENT_TIME), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({ ok: true, event: { ...event, occurredAt: EVENT_TIME, skewMs: 0, flags: [] } })
  })

  it('honours a configured threshold', () => {
    const sentAt = RECEIVED_AT - 5 * SECOND
    const event = { ...at(EVENT_TIME), sentAt }
    const ctx = context({ sentAt, limits: { ...context().limits, skewThresholdMs: 1000 } })
    expect(correctTime(event, ctx)).toEqual({ ok: true, event: { ...event, occurredAt: EVENT_TIME + 5 * SECOND, skewMs: 5 * SECOND, flags: ['clock_skew'] } })
  })
})

describe('correctTime: above the threshold the event shifts by receivedAt - sentAt', () => {
  it('moves a client clock running an hour behind forward, and flags clock_skew', () => {
    const sentAt = RECEIVED_AT - HOUR - 250
    const eventTime = sentAt - 10 * SECOND
    const event = { ...at(eventTime), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({
      ok: true,
      event: { ...event, eventTime, occurredAt: eventTime + HOUR + 250, skewMs: HOUR + 250, flags: ['clock_skew'] }
    })
  })

  it('moves a client clock running two hours ahead back', () => {
    const sentAt = RECEIVED_AT + 2 * HOUR
    const eventTime = sentAt - 10 * SECOND
    const event = { ...at(eventTime), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({
      ok: true,
      event: { ...event, occurredAt: RECEIVED_AT - 10 * SECOND, skewMs: -2 * HOUR, flags: ['clock_skew'] }
    })
  })

  it('shifts the whole batch by the same amount, keeping the events\' order and eventTime', () => {
    const sentAt = RECEIVED_AT - DAY / 2
    const times = [sentAt - 30 * SECOND, sentAt - 20 * SECOND, sentAt - 10 * SECOND]
    const ctx = context({ sentAt, plan: smallPlan('accept') })
    const batch = processBatch(times.map((t, i) => ({ event_id: `e${i}`, event_name: 'ping', event_time: t })), ctx)
    expect(batch).toEqual({
      accepted: times.map((t, index) => ({
        index,
        event: canonical({ eventId: `e${index}`, sentAt, eventTime: t, occurredAt: t + DAY / 2, skewMs: DAY / 2, flags: ['clock_skew'] })
      })),
      refused: [],
      dropped: []
    })
  })
})

describe('correctTime: events from the future', () => {
  it('clamps an event stamped beyond the tolerance to receivedAt and flags clock_skew', () => {
    const eventTime = RECEIVED_AT + 60_001
    const event = at(eventTime)
    // skewMs stays 0: no batch shift was applied, the event was clamped.
    expect(correctTime(event, context())).toEqual({ ok: true, event: { ...event, occurredAt: RECEIVED_AT, skewMs: 0, flags: ['clock_skew'] } })
  })

  it('leaves an event within the tolerance where it is', () => {
    const event = at(RECEIVED_AT + 60_000)
    expect(correctTime(event, context())).toEqual({ ok: true, event })
  })

  it('clamps an event still in the future after the batch shift, flagging clock_skew once', () => {
    const sentAt = RECEIVED_AT - HOUR
    const eventTime = RECEIVED_AT + HOUR
    const event = { ...at(eventTime), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({ ok: true, event: { ...event, occurredAt: RECEIVED_AT, skewMs: HOUR, flags: ['clock_skew'] } })
  })

  it('keeps flags set by earlier steps', () => {
    const event = at(RECEIVED_AT + DAY, ['unplanned'])
    expect(correctTime(event, context())).toEqual({ ok: true, event: { ...event, occurredAt: RECEIVED_AT, flags: ['unplanned', 'clock_skew'] } })
    expect(event.flags).toEqual(['unplanned'])
  })
})

describe('correctTime: old events', () => {
  it('flags an event older than lateAfterMs as late', () => {
    const event = at(RECEIVED_AT - DAY - 1)
    expect(correctTime(event, context())).toEqual({ ok: true, event: { ...event, flags: ['late'] } })
  })

  it('does not flag an event exactly lateAfterMs old', () => {
    const event = at(RECEIVED_AT - DAY)
    expect(correctTime(event, context())).toEqual({ ok: true, event })
  })

  it('judges lateness after the shift: a skewed client\'s old-looking events are not late', () => {
    const sentAt = RECEIVED_AT - 2 * DAY
    const event = { ...at(sentAt - SECOND), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({
      ok: true, event: { ...event, occurredAt: RECEIVED_AT - SECOND, skewMs: 2 * DAY, flags: ['clock_skew'] }
    })
  })

  it('flags both clock_skew and late when the shifted event is still old', () => {
    const sentAt = RECEIVED_AT - HOUR
    const eventTime = sentAt - 3 * DAY
    const event = { ...at(eventTime), sentAt }
    expect(correctTime(event, context({ sentAt }))).toEqual({
      ok: true, event: { ...event, occurredAt: eventTime + HOUR, skewMs: HOUR, flags: ['clock_skew', 'late'] }
    })
  })

  it('accepts an event exactly at the retention limit, flagged late', () => {
    const event = at(RECEIVED_AT - 90 * DAY)
    expect(correctTime(event, context())).toEqual({ ok: true, event: { ...event, flags: ['late'] } })
  })

  it('refuses an event older than retention as out_of_retention', () => {
    expect(correctTime(at(RECEIVED_AT - 90 * DAY - 1), context())).toEqual({
      ok: false, rejection: { code: 'out_of_retention', path: '/event_time', message: 'older than the 90-day retention' }
    })
  })

  it('names a configured retention in the message', () => {
    const ctx = context({ limits: { ...context().limits, retentionMs: 7 * DAY } })
    expect(correctTime(at(RECEIVED_AT - 8 * DAY), ctx)).toEqual({
      ok: false, rejection: { code: 'out_of_retention', path: '/event_time', message: 'older than the 7-day retention' }
    })
  })
})
