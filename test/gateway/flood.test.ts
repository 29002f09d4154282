import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPostgresUrl } from '../support/backends.js'
import { createKey, startGatewayProcess, type GatewayProc } from '../support/gateway-process.js'

/** Connections, each posting a ~1 MiB batch back to back: 400 MiB offered at once. */
const CLIENTS = 400
const FLOOD_MS = 8000
const MiB = 1024 * 1024
const INFLIGHT = Number(process.env.FLOOD_INFLIGHT ?? 8 * MiB)
const HEAP_MIB = 160

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
    // On PostgreSQL: PGlite's ~850 MiB resident start-up footprint would hide any growth.
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-flood-')), PULSEGATE_DATABASE_URL: await freshPostgresUrl(), PULSEGATE_HTTP_MAX_INFLIGHT_BYTES: String(INFLIGHT), PULSEGATE_INTAKE_MAX_QUEUED_ROWS: '2000', PULSEGATE_RATE_LIMIT_PER_KEY: '0',
      // A small heap: a gateway that buffered what clients push would die of it, visibly.
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` })
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
    // autocannon: a client that pushes bodies as fast as loopback takes them, unlike fetch.
    await new Promise<void>((resolve, reject) => {
      void autocannon({
        url: `${gw!.httpUrl}/v1/batch`, connections: CLIENTS, duration: FLOOD_MS / 1000, timeout: 30,
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body,
        requests: [{
          onResponse: (status, resBody, _ctx, headers) => {
            statuses.set(status, (statuses.get(status) ?? 0) + 1)
            if (status === 200) accepted += (JSON.parse(resBody) as { accepted: number }).accepted
            if (status === 429) retryAfter = String(headers?.['retry-after'])
          }
        }]
      }, (err: unknown) => (err === null || err === undefined ? resolve() : reject(err as Error)))
    })
    clearInterval(sampler)
    // Goodput survives: the budget refuses the surplus before reading it. Without it (budget
    // raised to 16 GiB) the gateway parsed every body and then shed it at the intake, and in
    // this run 0 or 1 batch in 8 s got through; with it, about 25.
    expect(statuses.get(200)).toBeGreaterThanOrEqual(5)
    expect(statuses.get(429)).toBeGreaterThan(0)
    expect([...statuses.keys()].sort()).toEqual([200, 429])
    expect(retryAfter).toBe('1')
    // Each of the 500 distinct events was acknowledged as accepted exactly once; every other copy as a duplicate.
    expect(accepted).toBe(500)
    // Alive within a 160 MiB heap, resident memory grown by about 80 MiB (GC lag included).
    expect(gw.child.exitCode).toBeNull()
    expect(peak - baseline).toBeLessThan(200 * MiB)
    const health = await (await fetch(`${gw.httpUrl}/health`)).json() as { status: string }
    expect(health.status).toBe('ok')
  })
})
