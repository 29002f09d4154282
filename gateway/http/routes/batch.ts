import type { FastifyInstance } from 'fastify'
import { errors } from '../../../processors/errors.js'
import type { BatchContext } from '../../../processors/pipeline/context.js'
import { parseTimestamp } from '../../../processors/pipeline/time.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'

/** The app id of unauthenticated batches, until write keys name apps. */
export const DEFAULT_APP = 'default'

interface BatchBody {
  events?: unknown
  sent_at?: unknown
  schema_version?: unknown
}

/** `POST /v1/batch` `{ events: [...], schema_version?, sent_at? }` (SPEC §4). */
export function batchRoutes(app: FastifyInstance, svc: GatewayServices): void {
  app.post<{ Body: BatchBody }>('/v1/batch', async (req, reply) => {
    const receivedAt = Date.now()
    const body = req.body
    const problem = checkBatch(body, svc.config.maxBatchEvents)
    if (problem !== undefined) return reply.code(problem.status).send(problem.body)
    const events = (body as { events: unknown[] }).events
    const sentAt = body.sent_at === undefined ? null : parseTimestamp(body.sent_at) ?? null
    const ctx: BatchContext = {
      appId: DEFAULT_APP, source: 'http', receivedAt, sentAt,
      schemaVersion: typeof body.schema_version === 'string' ? body.schema_version : null,
      plan: svc.plan, privacyKey: svc.privacyKey, limits: svc.limits,
      checkEventSize: Number(req.headers['content-length'] ?? Infinity) > svc.limits.maxEventBytes
    }
    const result = await svc.ingestHttp(events, ctx)
    return reply.code(200).send(result)
  })
}

function checkBatch(body: BatchBody | undefined, maxEvents: number): { status: number; body: unknown } | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { status: 400, body: errorBody(errors.BATCH_INVALID.code, 'the body must be an object with an events array') }
  }
  if (!Array.isArray(body.events)) {
    return { status: 400, body: errorBody(errors.BATCH_INVALID.code, 'events must be an array', { path: '/events' }) }
  }
  if (body.events.length > maxEvents) {
    return { status: 413, body: errorBody(errors.BATCH_TOO_LARGE.code, `${body.events.length} events is over max_batch_events (${maxEvents})`, { limit: 'max_batch_events', max: maxEvents }) }
  }
  if (body.sent_at !== undefined && parseTimestamp(body.sent_at) === undefined) {
    return { status: 400, body: errorBody(errors.BATCH_INVALID.code, 'sent_at must be ISO 8601 with a zone, or epoch milliseconds', { path: '/sent_at' }) }
  }
  return undefined
}
