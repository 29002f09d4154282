import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../../../processors/errors.js'
import type { BatchContext } from '../../../processors/pipeline/context.js'
import type { Rejection } from '../../../processors/pipeline/event.js'
import { parseTimestamp } from '../../../processors/pipeline/time.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { billiardsTrack } from '../shapes/billiards.js'
import { escortBatch, escortSingle } from '../shapes/escort.js'
import { reportBatch, reportSingle } from '../shapes/report.js'
import type { Shape, ShapedBatch } from '../shapes/shape.js'
import { v1Batch, v1Track } from '../shapes/v1.js'

/**
 * Every ingest route and the wire format it speaks (SPEC §4). The seeds' clients keep their
 * own URLs and bodies; each shape turns its body into /v1 events, and from there every route
 * is the same pipeline, the same limits and the same per-event answer.
 */
export const INGEST_ROUTES: ReadonlyArray<readonly [string, Shape]> = [
  ['/v1/batch', v1Batch],
  ['/v1/track', v1Track],
  ['/api/track', billiardsTrack],
  ['/tracking/events/batch', escortBatch],
  ['/tracking/events', escortSingle],
  ['/api/report', reportSingle],
  ['/api/report/batch', reportBatch]
]

/**
 * Each route is served twice: as the seeds' clients call it, and under `/k/{key}/`, for the
 * clients whose one setting is a base URL (the escort SDK's `apiUrl`): pointing that at
 * `https://gateway/k/<write key>` authenticates them without changing a line of their code.
 */
export function ingestRoutes(app: FastifyInstance, svc: GatewayServices): void {
  for (const [url, shape] of INGEST_ROUTES) {
    for (const path of [url, `/k/:key${url}`]) {
      app.post(path, { config: { access: 'write' } }, (req, reply) => ingest(svc, shape, req, reply))
    }
  }
}

async function ingest(svc: GatewayServices, shape: Shape, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const receivedAt = Date.now()
  const shaped = shape(req.body, { timeZone: svc.config.timeZone })
  if (!shaped.ok) return reply.code(400).send(errorBody(errors.BATCH_INVALID.code, shaped.message, { path: shaped.path }))
  const batch = shaped.batch
  const problem = checkEnvelope(batch, svc.config.maxBatchEvents)
  if (problem !== undefined) return reply.code(problem.status).send(problem.body)
  const sentAt = batch.sentAt === undefined || batch.sentAt === null ? null : parseTimestamp(batch.sentAt) as number
  if (sentAt !== null) svc.metrics.clockSkew.observe({ source: 'http' }, Math.abs(receivedAt - sentAt) / 1000)
  const selected = svc.plans.select(batch.schemaVersion)
  const ctx: BatchContext = {
    appId: (req.apiKey as { appId: string }).appId, source: 'http', receivedAt, sentAt, schemaVersion: batch.schemaVersion,
    plan: 'plan' in selected ? selected.plan : svc.plans.latest, privacyKey: svc.privacyKey, limits: svc.limits,
    extraFlags: 'plan' in selected && selected.flag !== undefined ? [selected.flag] : [],
    checkEventSize: Number(req.headers['content-length'] ?? Infinity) > svc.limits.maxEventBytes || req.headers['content-encoding'] !== undefined
  }
  const preRejected = 'rejection' in selected ? everyEvent(batch.events.length, selected.rejection) : batch.rejections
  return reply.code(200).send(await svc.ingest(batch.events, ctx, preRejected))
}

/** An unsupported schema version refuses every event of the batch; they wait in quarantine for a plan that knows it. */
function everyEvent(n: number, rejection: Rejection): Map<number, Rejection> {
  return new Map(Array.from({ length: n }, (_, i) => [i, rejection] as const))
}

function checkEnvelope(batch: ShapedBatch, maxEvents: number): { status: number; body: unknown } | undefined {
  if (batch.events.length > maxEvents) {
    return { status: 413, body: errorBody(errors.BATCH_TOO_LARGE.code, `${batch.events.length} events is over max_batch_events (${maxEvents})`, { limit: 'max_batch_events', max: maxEvents }) }
  }
  if (batch.sentAt !== undefined && batch.sentAt !== null && parseTimestamp(batch.sentAt) === undefined) {
    return { status: 400, body: errorBody(errors.BATCH_INVALID.code, 'sent_at must be ISO 8601 with a zone, or epoch milliseconds', { path: '/sent_at' }) }
  }
  return undefined
}
