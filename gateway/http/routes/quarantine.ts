import type { FastifyInstance } from 'fastify'
import { errors } from '../../../processors/errors.js'
import { listQuarantine, type QuarantineFilter } from '../../../processors/quarantine/list.js'
import { parseTimestamp } from '../../../processors/pipeline/time.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

interface FilterQuery { app_id?: string; code?: string; event_name?: string; from?: string; to?: string; after_id?: number; limit?: number; include_replayed?: boolean }

const TEXT = { type: 'string', minLength: 1, maxLength: 128 } as const
const FILTER_PROPERTIES = {
  app_id: TEXT, code: TEXT, event_name: TEXT,
  from: { type: 'string', description: 'received_at from (inclusive): ISO 8601 with a zone, or epoch ms' },
  to: { type: 'string', description: 'received_at to (exclusive)' }
} as const

/** `GET /v1/quarantine` (read key) and `POST /v1/admin/quarantine/replay` (admin key), SPEC §4. */
export function quarantineRoutes(app: FastifyInstance, svc: GatewayServices): void {
  app.get<{ Querystring: FilterQuery }>('/v1/quarantine', {
    config: { access: 'read' },
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          ...FILTER_PROPERTIES, after_id: { type: 'integer', minimum: 0 }, include_replayed: { type: 'boolean' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }
        }
      }
    }
  }, async (req, reply) => {
    const filter = toFilter(req.query, req.apiKey?.appId ?? null, req.query.limit ?? 100)
    if (typeof filter === 'string') return reply.code(400).send(errorBody(errors.REQUEST.code, filter))
    const items = await listQuarantine(svc.db, { ...filter, afterId: req.query.after_id, includeReplayed: req.query.include_replayed })
    const last = items.at(-1)
    return { items, next_after_id: items.length === filter.limit && last !== undefined ? last.id : null }
  })

  app.post<{ Body: FilterQuery & { ids?: number[] } }>('/v1/admin/quarantine/replay', {
    config: { access: 'admin' },
    schema: {
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          ...FILTER_PROPERTIES, ids: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 1000 },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 }
        }
      }
    }
  }, async (req, reply) => {
    const body = req.body
    const filter = toFilter(body, null, body.limit ?? 1000)
    if (typeof filter === 'string') return reply.code(400).send(errorBody(errors.REQUEST.code, filter))
    return svc.replay({ ...filter, ids: body.ids }, actorOf(req.apiKey))
  })
}

/** A read key limited to one app sees only that app, whatever it asks for. */
function toFilter(q: FilterQuery, keyApp: string | null, limit: number): QuarantineFilter | string {
  const from = q.from === undefined ? undefined : parseTimestamp(q.from)
  const to = q.to === undefined ? undefined : parseTimestamp(q.to)
  if (from === undefined && q.from !== undefined) return 'from must be ISO 8601 with a zone, or epoch milliseconds'
  if (to === undefined && q.to !== undefined) return 'to must be ISO 8601 with a zone, or epoch milliseconds'
  return { appId: keyApp ?? q.app_id ?? null, code: q.code, eventName: q.event_name, from, to, limit }
}
