/**
 * The HTTP load generator: autocannon keeps `connections` keep-alive connections busy, one
 * batch in flight on each, posting pre-built bodies (built before the clock starts, so the
 * generator spends its CPU on sending, not on JSON). Every answer is read: a batch counts by
 * the events the gateway says it accepted, so duplicates or refusals cannot pass as throughput.
 */
import autocannon from 'autocannon'
import type { Latency } from './stats.js'

export interface HttpLoadResult {
  batches: number
  accepted: number
  duplicate: number
  rejected: number
  /** Responses other than 200, and connection errors and timeouts. */
  failures: number
  ms: number
  latency: Latency
  timedOut: boolean
}

interface BatchAnswer { accepted?: number; duplicate?: number; rejected?: number }

export function postBatches(url: string, bodies: readonly string[], connections: number, deadline: number): Promise<HttpLoadResult> {
  const tally = { batches: 0, accepted: 0, duplicate: 0, rejected: 0, failures: 0 }
  let next = 0
  const onResponse = (status: number, body: string): void => {
    if (status !== 200) { tally.failures++; return }
    const answer = JSON.parse(body) as BatchAnswer
    tally.batches++
    tally.accepted += answer.accepted ?? 0
    tally.duplicate += answer.duplicate ?? 0
    tally.rejected += answer.rejected ?? 0
  }
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let timedOut = false
    const instance = autocannon({
      url: `${url}/v1/batch`, connections, amount: bodies.length, timeout: 60,
      method: 'POST', headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }), onResponse }]
    }, (err: unknown, result: autocannon.Result) => {
      clearTimeout(timer)
      if (err !== null && err !== undefined) return reject(err as Error)
      const ms = performance.now() - started
      tally.failures += result.errors + result.timeouts
      const latency: Latency = { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, count: tally.batches }
      resolve({ ...tally, ms, latency, timedOut })
    })
    const timer = setTimeout(() => { timedOut = true; instance.stop() }, Math.max(0, deadline - Date.now()))
  })
}
