import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openPglite } from '../../processors/db/pglite.js'
import { createKey, startGatewayProcess, type GatewayProc } from '../support/gateway-process.js'
import { freePort } from '../support/services.js'

const T = '2026-11-22T01:00:00.000Z'

/** Both processes of a test share one data directory, so one key works for both. */
const startProcess = (dataDir: string, httpPort: number, mqttPort: number): Promise<GatewayProc> =>
  startGatewayProcess({ PULSEGATE_DATA_DIR: dataDir, PULSEGATE_HTTP_PORT: String(httpPort), PULSEGATE_MQTT_PORT: String(mqttPort) })

async function send(url: string, key: string, events: unknown[]): Promise<{ status: number; ids: string[] }> {
  try {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ events }) })
    if (res.status !== 200) return { status: res.status, ids: [] }
    const body = await res.json() as { results: Array<{ event_id: string; status: string }> }
    return { status: 200, ids: body.results.filter((r) => r.status === 'accepted').map((r) => r.event_id) }
  } catch {
    return { status: 0, ids: [] }
  }
}

describe('graceful shutdown', () => {
  const procs: GatewayProc[] = []
  afterEach(() => { for (const p of procs) p.child.kill('SIGKILL') })

  it('stores every acknowledged event exactly once across SIGTERM and restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsegate-shutdown-'))
    const [httpPort, mqttPort] = [await freePort(), await freePort()]
    const first = await startProcess(dataDir, httpPort, mqttPort)
    procs.push(first)
    const key = await createKey(first.httpUrl, 'write')
    // 16 clients sending batches back to back; SIGTERM lands while many are in flight.
    let n = 0
    const acknowledged: string[] = []
    let stop = false
    const clients = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const events = Array.from({ length: 20 }, () => ({ event_id: `ev-${n++}`, event_name: 'page_view', event_time: T, user_id: 'u1' }))
        const res = await send(first.httpUrl, key, events)
        acknowledged.push(...res.ids)
        if (res.status !== 200) break
      }
    })
    await new Promise((r) => setTimeout(r, 1500))
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    stop = true
    await Promise.all(clients)
    expect(acknowledged.length).toBeGreaterThan(100)

    const second = await startProcess(dataDir, httpPort, mqttPort)
    procs.push(second)
    // The acknowledged events are there after the restart; sending them all again stores nothing new.
    const again = await send(second.httpUrl, key, [{ event_id: acknowledged[0], event_name: 'page_view', event_time: T, user_id: 'u1' }])
    expect(again).toEqual({ status: 200, ids: [] })
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    const db = await openPglite(join(dataDir, 'pglite'))
    const { rows } = await db.query<{ event_id: string }>('SELECT event_id FROM events')
    await db.close()
    const stored = new Set(rows.map((r) => r.event_id))
    expect(rows.length).toBe(stored.size)
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
  })

  it('refuses to open a data directory another live process holds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsegate-lock-'))
    const first = await startProcess(dataDir, await freePort(), await freePort())
    procs.push(first)
    const second = startProcess(dataDir, await freePort(), await freePort())
    await expect(second).rejects.toThrow(/exited with 1: pulsegate: PG_ERR_DATA_DIR_LOCKED: .*is held by process \d+/)
  })
})
