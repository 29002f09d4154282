import { readFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKey, startGatewayProcess, type GatewayProc } from '../support/gateway-process.js'

const CLIENTS = 200
const FLOOD_MS = 8000
const MiB = 1024 * 1024

/** Resident memory of a process now (Linux), in bytes. */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) * 1024
}

/** A batch of 500 events close to the 1 MiB limit. */
function bigBatch(): string {
  const pad = 'x'.repeat(1760)
  const events = Array.from({ length: 500 }, (_, i) => ({ event_id: `flood-${i}`, event_name: 'page_view', event_time: Date.now(), user_id: `u${i}`, properties: { page: `/p/${i}`, note: pad } }))
  return JSON.stringify({ events })
}

describe('a flood of large batches', () => {
  let gw: GatewayProc | undefined
  afterAll(async () => {
    gw?.child.kill('SIGKILL')
    await gw?.exited
  })

  it('is shed with 429 and Retry-After while memory stays bounded, and what was acknowledged is stored', async () => {
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-flood-')), PULSEGATE_HTTP_MAX_INFLIGHT_BYTES: String(16 * MiB), PULSEGATE_RATE_LIMIT_PER_KEY: '0' })
    const key = await createKey(gw.httpUrl, 'write')
    const body = bigBatch()
    expect(body.length).toBeGreaterThan(0.9 * MiB)
    expect(body.length).toBeLessThan(MiB)
    const pid = gw.child.pid as number
    const baseline = rss(pid)
    // Sampled, not VmHWM: PGlite's start-up peak would hide everything after it.
    let peak = baseline
    const sampler = setInterval(() => { peak = Math.max(peak, rss(pid)) }, 50)
    const statuses = new Map<number, number>()
    let retryAfter: string | null = null
    let accepted = 0
    const until = Date.now() + FLOOD_MS
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        const res = await fetch(`${gw!.httpUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body })
        if (res.status === 200) accepted += (await res.json() as { accepted: number }).accepted
        else await res.arrayBuffer()
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        if (res.status === 429) retryAfter = res.headers.get('retry-after')
      }
    }))
    clearInterval(sampler)
    expect(statuses.get(200)).toBeGreaterThan(0)
    expect(statuses.get(429)).toBeGreaterThan(0)
    expect([...statuses.keys()].sort()).toEqual([200, 429])
    expect(retryAfter).toBe('1')
    // Each of the 500 distinct events was acknowledged as accepted exactly once; every other copy as a duplicate.
    expect(accepted).toBe(500)
    // 16 MiB of bodies in flight and their parsed events. Without the budget this run grows by about
    // 200 MiB on the reference machine (measured by raising PULSEGATE_HTTP_MAX_INFLIGHT_BYTES to 16 GiB).
    expect(peak - baseline).toBeLessThan(100 * MiB)
    const health = await (await fetch(`${gw.httpUrl}/health`)).json() as { status: string }
    expect(health.status).toBe('ok')
  })
})
