/** Shared builders for the pipeline tests: a batch context, a canonical event, small plans. */
import { compilePlan, loadPlan, type CompiledPlan } from '../../../processors/plan/compile.js'
import type { BatchContext, PipelineLimits } from '../../../processors/pipeline/context.js'
import type { CanonicalEvent } from '../../../processors/pipeline/event.js'

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The gateway clock in every test: a minute after seed 001's example `event_time`. */
export const RECEIVED_AT = Date.parse('2024-01-15T10:31:00.000Z')
/** Seed 001's example `event_time`. */
export const EVENT_TIME_ISO = '2024-01-15T10:30:45.123Z'
export const EVENT_TIME = Date.parse(EVENT_TIME_ISO)

/** The configuration defaults (gateway/config/settings.ts): 32 KiB, 60 s, 1 day, 90 days. */
export const LIMITS: PipelineLimits = {
  maxEventBytes: 32 * 1024,
  skewThresholdMs: 60 * SECOND,
  lateAfterMs: DAY,
  retentionMs: 90 * DAY
}

let shipped: CompiledPlan | undefined
/** The shipped tracking-plan/default.yaml, compiled once per test file. */
export function defaultPlan(): CompiledPlan {
  shipped ??= loadPlan()
  return shipped
}

/**
 * A small plan written inline: one event per feature the validator has. `unplanned` and the
 * plan-wide `additional_properties` are parameters so both settings can be exercised.
 */
export function smallPlan(unplanned: 'accept' | 'reject' = 'accept', additionalProperties = true): CompiledPlan {
  return compilePlan({
    version: 'test-1',
    unplanned,
    additional_properties: additionalProperties,
    events: {
      ping: null,
      order: {
        idempotency_key: 'order_id',
        properties: {
          order_id: { type: 'string', required: true, maxLength: 16 },
          amount: { type: 'integer', required: true, minimum: 0, unit: 'minor' },
          method: { type: 'string', enum: ['wechat', 'alipay'] },
          phone: { type: 'string', privacy: 'phone' },
          tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
          shipping: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city']
          }
        }
      },
      strict_event: {
        additional_properties: false,
        properties: { only: { type: 'string' } }
      },
      open_event: {
        additional_properties: true,
        properties: { known: { type: 'string' } }
      },
      visit: {
        properties: {
          user_id: { type: 'string', required: true, maxLength: 8 },
          store_id: { type: 'string', required: true }
        }
      },
      stamped: {
        properties: { at: { type: 'string', format: 'date-time' } }
      }
    }
  }, 'small-plan')
}

export function context(overrides: Partial<BatchContext> = {}): BatchContext {
  return {
    appId: 'app-1',
    source: 'http',
    receivedAt: RECEIVED_AT,
    sentAt: null,
    schemaVersion: 'v1.0',
    plan: defaultPlan(),
    privacyKey: Buffer.from('test-privacy-key'),
    limits: LIMITS,
    checkEventSize: true,
    ...overrides
  }
}

/** A canonical event as normalize builds it from `{event_name, event_time}` in `context()`. */
export function canonical(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    appId: 'app-1',
    eventId: '',
    eventName: 'ping',
    eventTime: EVENT_TIME,
    sentAt: null,
    receivedAt: RECEIVED_AT,
    occurredAt: EVENT_TIME,
    skewMs: 0,
    source: 'http',
    schemaVersion: 'v1.0',
    storeId: null,
    deviceId: null,
    userId: null,
    sessionId: null,
    platform: null,
    appVersion: null,
    channel: null,
    deviceType: null,
    correlationId: null,
    properties: {},
    flags: [],
    ...overrides
  }
}
