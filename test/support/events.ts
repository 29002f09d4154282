import type { CanonicalEvent } from '../../processors/pipeline/event.js'

/** A complete canonical event for store-level tests; override what the test is about. */
export function canonical(over: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const t = over.eventTime ?? Date.now() - 60_000
  return {
    appId: 'app1', eventId: 'e1', eventName: 'page_view', eventTime: t, sentAt: null,
    receivedAt: t + 50, occurredAt: t, skewMs: 0, source: 'http', schemaVersion: '1.0',
    storeId: 's1', deviceId: null, userId: 'u1', sessionId: 'sess1', platform: 'h5', appVersion: '1.2.3',
    channel: 'wechat', deviceType: 'mobile', correlationId: null, properties: { page: '/home' }, flags: [],
    ...over
  }
}
