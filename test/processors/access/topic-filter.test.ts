import { describe, expect, it } from 'vitest'
import { filterCovers, filterProblem, topicMatches } from '../../../processors/access/topic-filter.js'

describe('MQTT topic filters for service-account ACLs', () => {
  it('accepts valid filters and names what is wrong with the others', () => {
    for (const ok of ['devices/+/status', 'devices/#', '#', '+', 'a/b/c', '$SYS/#', 'a//b']) expect(filterProblem(ok), ok).toBeNull()
    expect(filterProblem('')).toMatch(/1 to 1024/)
    expect(filterProblem('devices/#/status')).toMatch(/`#` must be a whole level, and the last one/)
    expect(filterProblem('devices/a#')).toMatch(/`#`/)
    expect(filterProblem('devices/dev+/status')).toMatch(/`\+` must be a whole level/)
    expect(filterProblem('a\u0000b')).toMatch(/NUL/)
  })

  it('matches topics as MQTT 3.1.1 §4.7 does', () => {
    expect(topicMatches('devices/+/status', 'devices/tc-1/status')).toBe(true)
    expect(topicMatches('devices/+/status', 'devices/tc-1/heartbeat')).toBe(false)
    expect(topicMatches('devices/+/status', 'devices/tc-1/status/x')).toBe(false)
    expect(topicMatches('devices/#', 'devices')).toBe(true)
    expect(topicMatches('devices/#', 'devices/a/b/c')).toBe(true)
    expect(topicMatches('devices/+', 'devices')).toBe(false)
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true)
  })

  it('grants a subscription only when the account\'s filter covers every topic it could receive', () => {
    expect(filterCovers('devices/+/status', 'devices/tc-1/status')).toBe(true)
    expect(filterCovers('devices/+/status', 'devices/+/status')).toBe(true)
    expect(filterCovers('devices/+/status', 'devices/#')).toBe(false)
    expect(filterCovers('devices/+/status', 'devices/+/+')).toBe(false)
    expect(filterCovers('devices/#', 'devices/+/status')).toBe(true)
    expect(filterCovers('devices/#', 'devices/#')).toBe(true)
    expect(filterCovers('devices/#', '#')).toBe(false)
    expect(filterCovers('#', 'devices/+/status')).toBe(true)
    expect(filterCovers('#', '$SYS/#')).toBe(false)
    expect(filterCovers('devices/tc-1/commands', 'devices/+/commands')).toBe(false)
  })
})
