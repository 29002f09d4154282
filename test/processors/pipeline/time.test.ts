import { describe, expect, it } from 'vitest'
import { parseTimestamp } from '../../../processors/pipeline/time.js'

/** 2024-01-15T10:30:45.123Z, seed 001's example event_time. */
const T = 1_705_314_645_123

describe('parseTimestamp: ISO 8601 with a zone', () => {
  it.each([
    ['2024-01-15T10:30:45.123Z', T],
    ['2024-01-15T18:30:45.123+08:00', T],
    ['2024-01-15T05:30:45.123-05:00', T],
    ['2024-01-15T18:30:45.123+0800', T],
    ['2024-01-15T10:30:45.123z', T],
    ['2024-01-15t10:30:45.123Z', T],
    ['2024-01-15T10:30:45Z', T - 123],
    ['2024-01-15T10:30Z', T - 45_123],
    ['2024-01-15T10:30:45.123456Z', T]
  ])('%s → %d', (value, ms) => {
    expect(parseTimestamp(value)).toBe(ms)
  })

  it('reads the same instant from every zone', () => {
    const instants = ['2024-01-15T10:30:45.123Z', '2024-01-15T18:30:45.123+08:00', '2024-01-15T16:00:45.123+05:30', '2024-01-14T23:30:45.123-11:00']
    expect(instants.map(parseTimestamp)).toEqual([T, T, T, T])
  })
})

describe('parseTimestamp: epoch numbers and numeric strings', () => {
  it.each([
    [T, T],
    [1_705_314_645, T - 123],
    [1_705_314_645.123, T],
    [1_705_314_645.5, 1_705_314_645_500],
    [T + 0.4, T],
    ['1705314645123', T],
    ['1705314645', T - 123],
    ['1705314645.123', T]
  ])('%s → %d', (value, ms) => {
    expect(parseTimestamp(value)).toBe(ms)
  })

  it('reads numbers below 1e11 as seconds and from 1e11 on as milliseconds', () => {
    expect(parseTimestamp(99_999_999_999)).toBe(99_999_999_999_000)
    expect(parseTimestamp(100_000_000_000)).toBe(100_000_000_000)
    expect(parseTimestamp(1)).toBe(1000)
  })
})

describe('parseTimestamp: refused values', () => {
  it.each([
    ['a string without a zone', '2024-01-15T10:30:45'],
    ['a string without a zone, with milliseconds', '2024-01-15T10:30:45.123'],
    ['a date only', '2024-01-15'],
    ['a space instead of T', '2024-01-15 10:30:45Z'],
    ['an hour-only offset', '2024-01-15T10:30:45+08'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['a local-time record (seed 002)', '2024-01-15 18:30:45'],
    ['an RFC 2822 date', 'Mon, 15 Jan 2024 10:30:45 GMT'],
    ['a word', 'now'],
    ['an empty string', ''],
    ['a negative numeric string', '-5'],
    ['an exponent string', '1.7e12'],
    ['zero', 0],
    ['a negative number', -1_705_314_645_123],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { seconds: 1_705_314_645 }],
    ['an array', [1_705_314_645_123]]
  ])('refuses %s', (_what, value) => {
    expect(parseTimestamp(value)).toBeUndefined()
  })
})

describe('regressions', () => {
  // new Date(ms).toISOString() throws RangeError above 8.64e15 ms; processors/store/rows.ts
  // formats event_time that way, so one such event fails the store write of its whole batch.
  it('refuses epoch values outside the range a Date can hold (timestamp-beyond-date-range)', () => {
    expect(parseTimestamp(1e17)).toBeUndefined()
    expect(parseTimestamp('99999999999999999999')).toBeUndefined()
    expect(parseTimestamp(8.64e15 + 1)).toBeUndefined()
  })

  // V8's Date.parse rolls an impossible day over into the next month instead of refusing it.
  it('refuses calendar dates that do not exist instead of rolling them over (impossible-date-rollover)', () => {
    expect(parseTimestamp('2024-02-30T00:00:00Z')).toBeUndefined()
    expect(parseTimestamp('2023-02-29T12:00:00+08:00')).toBeUndefined()
  })
})
