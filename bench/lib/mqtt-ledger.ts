/**
 * The gateway's ledger for MQTT inputs, read from its `/metrics`: every heartbeat it has
 * processed is `received`, and ends `stored`, `dropped` (coalesced QoS 0 heartbeats) or
 * `rejected`. Counted after the commit, so a QoS 0 heartbeat in `received` is done with.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { scrapeMetrics } from './gateway-metrics.js'

export interface Ledger { received: number; stored: number; dropped: number; rejected: number }

const POLL_MS = 20

/** The sum of `name`'s samples labelled `source="mqtt"` (any other labels: reasons). */
function mqttSum(text: string, name: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes('source="mqtt"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

export async function readLedger(httpUrl: string): Promise<Ledger> {
  const text = await scrapeMetrics(httpUrl)
  const of = (what: string): number => mqttSum(text, `pulsegate_events_${what}_total`)
  return { received: of('received'), stored: of('stored'), dropped: of('dropped'), rejected: of('rejected') }
}

const minus = (a: Ledger, b: Ledger): Ledger =>
  ({ received: a.received - b.received, stored: a.stored - b.stored, dropped: a.dropped - b.dropped, rejected: a.rejected - b.rejected })

/**
 * Polls until `expected` inputs were received since `before`, none came for `idleMs` (a QoS 0
 * message lost never comes), or `timeoutMs`. `lastAt`: epoch ms of the poll that first saw
 * the final count (so the clock is late by up to POLL_MS plus one scrape).
 */
export async function awaitProcessed(httpUrl: string, before: Ledger, expected: number, idleMs: number, timeoutMs: number): Promise<{ ledger: Ledger; lastAt: number }> {
  const deadline = Date.now() + timeoutMs
  let ledger = minus(await readLedger(httpUrl), before)
  let lastAt = Date.now()
  while (ledger.received < expected && Date.now() < deadline && Date.now() - lastAt < idleMs) {
    await sleep(POLL_MS)
    const next = minus(await readLedger(httpUrl), before)
    if (next.received > ledger.received) lastAt = Date.now()
    ledger = next
  }
  return { ledger, lastAt }
}

export const fmtLedger = (l: Ledger): string => `processed ${l.received} (stored ${l.stored}, coalesced ${l.dropped}, rejected ${l.rejected})`
