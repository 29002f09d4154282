import { describe, expect, it } from 'vitest'
import { host, integer, oneOf, text, timeZone, url } from '../../../gateway/config/parse.js'

describe('integer', () => {
  const port = integer(0, 65535)

  it.each([['0', 0], ['65535', 65535], ['8080', 8080], [' 8080 ', 8080], ['08080', 8080]])('reads %j as %d', (raw, n) => {
    expect(port(raw)).toBe(n)
  })

  it.each(['-1', '65536', '80.5', '8e3', '0x50', 'abc', '', ' ', '9007199254740993'])('refuses %j, saying what is allowed', (raw) => {
    expect(() => port(raw)).toThrow(new Error('must be an integer from 0 to 65535'))
  })

  it('allows negative ranges', () => {
    expect(integer(-10, 10)('-10')).toBe(-10)
  })
})

describe('oneOf', () => {
  const level = oneOf('info', 'debug')

  it('accepts an allowed value exactly', () => {
    expect(level('debug')).toBe('debug')
  })

  it.each(['DEBUG', ' info', 'warn', ''])('refuses %j listing the allowed values', (raw) => {
    expect(() => level(raw)).toThrow(new Error('must be one of info, debug'))
  })
})

describe('text', () => {
  it('accepts any non-empty text and refuses empty text', () => {
    expect(text('./data')).toBe('./data')
    expect(() => text('')).toThrow(new Error('must not be empty'))
  })
})

describe('url', () => {
  const pg = url('postgres', 'postgresql')

  it('accepts the listed protocols and returns the text unchanged', () => {
    expect([pg('postgres://u:p@h:5432/d?sslmode=require'), pg('postgresql://h/d')]).toEqual(['postgres://u:p@h:5432/d?sslmode=require', 'postgresql://h/d'])
  })

  it('refuses other protocols and non-URLs', () => {
    expect(() => pg('mysql://h/d')).toThrow(new Error('must use postgres or postgresql, not mysql:'))
    expect(() => pg('no url')).toThrow(new Error('must be a URL (postgres or postgresql)'))
  })
})

describe('timeZone', () => {
  it.each(['Asia/Shanghai', 'UTC', 'America/New_York', 'Asia/Kolkata'])('accepts %s', (zone) => {
    expect(timeZone(zone)).toBe(zone)
  })

  it.each(['Mars/Olympus', 'UTC+8', 'Shanghai'])('refuses %s', (zone) => {
    expect(() => timeZone(zone)).toThrow(new Error('must be an IANA time zone such as Asia/Shanghai or UTC'))
  })
})

describe('host', () => {
  it.each(['127.0.0.1', '0.0.0.0', 'localhost', '::1', 'gateway-1.internal'])('accepts %s', (h) => {
    expect(host(h)).toBe(h)
  })

  it.each(['my host', 'http://x', 'a/b', ''])('refuses %j', (h) => {
    expect(() => host(h)).toThrow(new Error('must be a host name or IP address'))
  })
})
