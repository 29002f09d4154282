import { describe, expect, it } from 'vitest'
import { isWallTime, wallTimeToIso } from '../../../gateway/http/shapes/local-time.js'

describe('wallTimeToIso', () => {
  it.each([
    // seed 002 §4.2.1 line 215, in the design's UTC+8 (§2.1 line 20), the default zone
    ['2024-01-15 10:00:00', 'Asia/Shanghai', '2024-01-15T10:00:00+08:00'],
    ['2024-01-15T23:59:59.999', 'Asia/Shanghai', '2024-01-15T23:59:59.999+08:00'],
    ['2024-01-15 10:00', 'Asia/Shanghai', '2024-01-15T10:00+08:00'],
    // a half-hour zone
    ['2024-01-15 10:00:00', 'Asia/Kolkata', '2024-01-15T10:00:00+05:30'],
    ['2024-07-01 00:00:00', 'America/New_York', '2024-07-01T00:00:00-04:00'],
    ['2024-01-01 00:00:00', 'America/New_York', '2024-01-01T00:00:00-05:00'],
    ['2024-01-01 00:00:00', 'UTC', '2024-01-01T00:00:00+00:00'],
    // fall-back repeats 01:00-02:00: the earlier instant, still on daylight time
    ['2024-11-03 01:30:00', 'America/New_York', '2024-11-03T01:30:00-04:00'],
    ['2024-11-03 00:59:59', 'America/New_York', '2024-11-03T00:59:59-04:00'],
    ['2024-11-03 02:00:00', 'America/New_York', '2024-11-03T02:00:00-05:00'],
    // just around the spring-forward gap
    ['2024-03-10 01:59:59', 'America/New_York', '2024-03-10T01:59:59-05:00'],
    ['2024-03-10 03:00:00', 'America/New_York', '2024-03-10T03:00:00-04:00'],
    // Shanghai kept DST 1986-1991: its repeated hour on 1986-09-14 reads as the earlier, +09:00
    ['1986-09-14 01:30:00', 'Asia/Shanghai', '1986-09-14T01:30:00+09:00'],
    // local mean time (+08:05:43) cannot be written ±HH:MM: UTC instead
    ['1900-01-01 00:00:00.5', 'Asia/Shanghai', '1899-12-31T15:54:17.500Z']
  ])('%s in %s is %s', (wall, zone, iso) => {
    expect(wallTimeToIso(wall, zone)).toEqual({ ok: true, iso })
    expect(Date.parse(iso)).not.toBeNaN()
  })

  it.each([
    ['2024-03-10 02:30:00', 'America/New_York', 'clocks went from 02:00:00 to 03:00:00 (-05:00 to -04:00) that day'],
    ['2024-03-10 02:00:00', 'America/New_York', 'clocks went from 02:00:00 to 03:00:00 (-05:00 to -04:00) that day'],
    ['1986-05-04 02:30:00', 'Asia/Shanghai', 'clocks went from 02:00:00 to 03:00:00 (+08:00 to +09:00) that day'],
    ['2024-10-06 02:15:00', 'Australia/Lord_Howe', 'clocks went from 02:00:00 to 02:30:00 (+10:30 to +11:00) that day']
  ])('refuses %s in %s, a time skipped by spring-forward', (wall, zone, gap) => {
    expect(wallTimeToIso(wall, zone)).toEqual({ ok: false, message: `${wall} does not exist in ${zone}: ${gap}` })
  })

  it.each(['2024-02-30 10:00:00', '2023-02-29 10:00:00', '2024-01-15 24:00:00', '2024-01-15 10:60:00', '2024-13-01 10:00:00'])('refuses %s, not a real date and time', (wall) => {
    expect(wallTimeToIso(wall, 'Asia/Shanghai')).toEqual({ ok: false, message: `"${wall}" is not a real date and time` })
  })

  it('is the same instant in Kolkata and Shanghai 2.5 hours apart', () => {
    const at = (wall: string, zone: string): number => {
      const r = wallTimeToIso(wall, zone)
      return r.ok ? Date.parse(r.iso) : NaN
    }
    expect(at('2024-01-15 07:30:00', 'Asia/Kolkata')).toBe(at('2024-01-15 10:00:00', 'Asia/Shanghai'))
  })
})

describe('isWallTime', () => {
  it.each([
    ['2024-01-15 10:00:00', true], ['2024-01-15T10:00:00', true], ['2024-01-15 10:00', true],
    ['2024-01-15T10:00:00Z', false], ['2024-01-15T10:00:00+08:00', false], ['2024-01-15', false], ['1705284000000', false], [1705284000000, false]
  ])('%j → %s', (value, wall) => {
    expect(isWallTime(value)).toBe(wall)
  })
})
