import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'
import { freshPostgresUrl } from '../support/backends.js'

const T = '2026-11-22T01:00:00.000Z'
const CLIENTS = 200
const ROUNDS = 5
/** Ids are drawn from a small pool, so clients' batches overlap heavily, within and across batches. */
const POOL = 1500

interface Answer { accepted: number; duplicate: number; rejected: number; dropped: number; results: Array<{ event_id: string; status: string }> }

function batchFor(client: number, round: number): unknown[] {
  const events: unknown[] = []
  for (let i = 0; i < 20; i++) {
    const n = (client * 37 + round * 101 + i * 13) % POOL
    events.push({ event_id: `ev-${n}`, event_name: 'page_view', event_time: T, user_id: `u${n % 50}`, properties: { page: `/p/${n}` } })
  }
  // One invalid event per batch (no page), and one repeat of an id inside the batch.
  events.push({ event_id: `bad-${client}-${round}`, event_name: 'page_view', event_time: T, properties: { page: 42 } })
  events.push(events[0])
  return events
}

describe('200 concurrent clients with overlapping batches, on PostgreSQL', () => {
  let running: RunningGateway
  let key: string
  beforeAll(async () => {
    running = await startGateway(testConfig({ PULSEGATE_DATABASE_URL: await freshPostgresUrl(), PULSEGATE_DATABASE_POOL_SIZE: '8', PULSEGATE_RATE_LIMIT_PER_KEY: '0' }))
    key = await keyFor(running.gateway, 'write', 'shop')
  })
  afterAll(async () => { await running.stop() })

  it('stores exactly the distinct valid events, answers every one, and the counters add up', async () => {
    const answers: Answer[] = []
    await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
      for (let round = 0; round < ROUNDS; round++) {
        const res = await fetch(`${running.httpUrl}/v1/batch`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ events: batchFor(client, round) })
        })
        expect(res.status).toBe(200)
        answers.push(await res.json() as Answer)
      }
    }))
    const sent = new Set<string>()
    for (let c = 0; c < CLIENTS; c++) for (let r = 0; r < ROUNDS; r++) for (const e of batchFor(c, r)) sent.add((e as { event_id: string }).event_id)
    const valid = [...sent].filter((id) => id.startsWith('ev-'))

    const { rows } = await running.gateway.services.db.query<{ event_id: string; n: number }>("SELECT event_id, count(*)::int AS n FROM events WHERE app_id = 'shop' GROUP BY event_id")
    expect(rows.filter((r) => r.n !== 1)).toEqual([])
    expect(rows.map((r) => r.event_id).sort()).toEqual(valid.sort())

    // Each distinct event was answered `accepted` exactly once across all clients; every other copy `duplicate`.
    const acceptedIds = answers.flatMap((a) => a.results.filter((r) => r.status === 'accepted').map((r) => r.event_id))
    expect(acceptedIds.length).toBe(valid.length)
    expect(new Set(acceptedIds).size).toBe(valid.length)
    const total = (f: keyof Omit<Answer, 'results'>) => answers.reduce((s, a) => s + a[f], 0)
    expect(total('accepted') + total('duplicate') + total('rejected') + total('dropped')).toBe(CLIENTS * ROUNDS * 22)
    expect(total('rejected')).toBe(CLIENTS * ROUNDS)

    const quarantined = await running.gateway.services.db.query<{ n: number }>("SELECT count(*)::int AS n FROM quarantine WHERE app_id = 'shop'")
    expect(quarantined.rows).toEqual([{ n: CLIENTS * ROUNDS }])
    const m = parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text())
    const f = (name: string) => sumOf(m, name, 'source="http"')
    expect(f('pulsegate_events_received_total')).toBe(CLIENTS * ROUNDS * 22)
    expect(f('pulsegate_events_stored_total')).toBe(valid.length)
    expect(f('pulsegate_events_duplicate_total')).toBe(total('duplicate'))
    expect(f('pulsegate_events_rejected_total')).toBe(CLIENTS * ROUNDS)
    expect(f('pulsegate_events_received_total')).toBe(f('pulsegate_events_stored_total') + f('pulsegate_events_duplicate_total') + f('pulsegate_events_rejected_total') + f('pulsegate_events_dropped_total'))
  })
})
