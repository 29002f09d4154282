import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../../processors/errors.js'
import type { Metrics } from '../../processors/metrics/metrics.js'
import { errorBody } from './errors.js'
import { appendRouteHook } from './route-hooks.js'

export interface InflightOptions {
  /** Bytes of request bodies being read, parsed or processed at once, at most. */
  maxBytes: number
  /** What a body may grow to after decompression: reserved for gzip and chunked bodies. */
  maxBodyBytes: number
  metrics: Metrics
}

/**
 * Keeps memory bounded however hard clients push (SPEC §11): every ingest request reserves
 * its body size before the body is read, and releases it when the answer has gone out. When
 * the budget is spent the request is refused with 429 before a byte of its body is buffered.
 * A gzip or chunked body reserves the largest it may decompress to, since its header says
 * nothing about that. The intake's row bound then limits what waits for the store.
 */
export function registerInflightLimit(app: FastifyInstance, opts: InflightOptions): void {
  let reserved = 0
  const held = new WeakMap<object, number>()
  const release = async (req: FastifyRequest): Promise<void> => {
    const size = held.get(req)
    if (size === undefined) return
    held.delete(req)
    reserved -= size
    opts.metrics.inflightBytes.set(reserved)
  }
  const reserve = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const declared = Number(req.headers['content-length'])
    const plain = req.headers['content-encoding'] === undefined || req.headers['content-encoding'] === 'identity'
    const size = plain && Number.isFinite(declared) ? Math.min(declared, opts.maxBodyBytes) : opts.maxBodyBytes
    if (reserved + size > opts.maxBytes && reserved > 0) {
      opts.metrics.shed.inc({ reason: 'inflight_bytes' })
      // Connection: close, so the unread body is not drained (read and thrown away) to reuse the socket.
      void reply.header('retry-after', '1').header('connection', 'close').code(429)
        .send(errorBody(errors.OVERLOADED.code, `${errors.OVERLOADED.message}: request bodies in flight are over http_max_inflight_bytes (${opts.maxBytes})`, { limit: 'http_max_inflight_bytes' }))
      return reply
    }
    reserved += size
    held.set(req, size)
    opts.metrics.inflightBytes.set(reserved)
    return undefined
  }
  // A route-level hook on ingest routes, appended when each route is declared: it runs after the
  // global key check and after route hooks added before it (the per-key rate limit).
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== 'write') return
    appendRouteHook(route, 'onRequest', reserve)
  })
  // Released when the answer has gone out, or when the client went away before it.
  app.addHook('onResponse', release)
  app.addHook('onRequestAbort', release)
}
