import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors, PulseGateError } from '../../processors/errors.js'
import type { Metrics } from '../../processors/metrics/metrics.js'
import { SnapshotRateLimitStore } from './rate-limit-store.js'
import { appendRouteHook } from './route-hooks.js'

/**
 * The per-key rate limit of the ingest routes (SPEC §4: 429 with Retry-After). Counted once per
 * request, as early as the key is known: before the body is read when the key came in a
 * header, the path or the query, so such a request over its rate reserves and reads nothing;
 * after parsing when the key came in the body (sendBeacon clients). Hooks are added to each
 * ingest route as it is declared, after the key check and before the in-flight budget.
 */
export async function registerRateLimit(app: FastifyInstance, opts: { maxPerSecond: number; metrics: Metrics }): Promise<void> {
  await app.register(rateLimit, { global: false, store: SnapshotRateLimitStore as never })
  const limiter = app.createRateLimit({ max: opts.maxPerSecond, timeWindow: 1000, keyGenerator: (req) => (req.apiKey as { id: string }).id })
  const counted = new WeakSet<FastifyRequest>()
  const check = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (req.apiKey === undefined || counted.has(req)) return undefined
    counted.add(req)
    const verdict = await limiter(req)
    if (verdict.isAllowed || !verdict.isExceeded) return undefined
    opts.metrics.shed.inc({ reason: 'rate_limit' })
    const err = new PulseGateError(errors.RATE_LIMITED, `over ${opts.maxPerSecond} requests per second for this key (rate_limit_per_key)`)
    // Retry-After is when this key's window ends; close rather than drain an unread body.
    void reply.code(429).header('retry-after', String(Math.max(1, verdict.ttlInSeconds))).header('connection', 'close')
      .send({ error: { code: err.code, message: err.message } })
    return reply
  }
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== 'write') return
    appendRouteHook(route, 'onRequest', check)
    appendRouteHook(route, 'preHandler', check)
  })
}
