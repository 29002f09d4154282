import type { CanonicalEvent } from '../../processors/pipeline/event.js'
import type { RealtimeMetric } from '../../processors/stats/realtime-metric.js'

/**
 * A small fixed set of realtime metrics for the counters' own tests, independent of the
 * catalog: PV and UV as SPEC §8 defines them, every committed event, and money paid.
 */
export function defaultRealtimeMetrics(): RealtimeMetric[] {
  return [
    { name: 'pv', kind: 'count', matches: isPageView, value: () => null },
    // UV: distinct users with a page_view, the user id else the device id (SPEC §8).
    { name: 'uv', kind: 'unique', matches: isPageView, value: (e) => e.userId ?? e.deviceId },
    { name: 'events', kind: 'count', matches: () => true, value: () => null },
    // Minor units; an amount that is not an integer adds nothing rather than a float.
    { name: 'payment_amount', kind: 'sum', matches: (e) => e.eventName === 'payment_success', value: integerAmount }
  ]
}

const isPageView = (e: CanonicalEvent): boolean => e.eventName === 'page_view'

function integerAmount(e: CanonicalEvent): number | null {
  const amount = e.properties.amount
  return typeof amount === 'number' && Number.isSafeInteger(amount) ? amount : null
}
