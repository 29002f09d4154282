import type { FastifyInstance } from 'fastify'
import { errors } from '../../../processors/errors.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

const ID = { type: 'string', minLength: 1, maxLength: 128 } as const

/** `/v1/admin/opt-outs`: users whose events are dropped and counted, never stored (SPEC §5). */
export function adminOptOutRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'admin' } as const
  app.post<{ Body: { app_id: string; user_ids: string[] } }>('/v1/admin/opt-outs', {
    config,
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['app_id', 'user_ids'],
        properties: { app_id: ID, user_ids: { type: 'array', items: ID, minItems: 1, maxItems: 10_000 } }
      }
    }
  }, async (req) => {
    return svc.optOuts.add(req.body.app_id, req.body.user_ids, actorOf(req.apiKey))
  })
  app.get<{ Querystring: { app_id?: string; after?: string; limit?: number } }>('/v1/admin/opt-outs', {
    config,
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { app_id: ID, after: ID, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 } }
      }
    }
  }, async (req, reply) => {
    // Pages are ordered by (app, user): a cursor of user ids pages within one app.
    if (req.query.after !== undefined && req.query.app_id === undefined) {
      return reply.code(400).send(errorBody(errors.REQUEST.code, 'after pages within one app: give app_id with it', { path: '/after' }))
    }
    const items = await svc.optOuts.list(req.query.app_id ?? null, req.query.limit ?? 1000, req.query.after)
    return { opt_outs: items.map((o) => ({ app_id: o.appId, user_id: o.userId, created_at: o.createdAt })) }
  })
  app.delete<{ Params: { app_id: string; user_id: string } }>('/v1/admin/opt-outs/:app_id/:user_id', { config }, async (req, reply) => {
    const removed = await svc.optOuts.remove(req.params.app_id, req.params.user_id, actorOf(req.apiKey))
    if (!removed) return reply.code(404).send(errorBody(errors.NOT_OPTED_OUT.code, 'that user has not opted out'))
    return { removed: true }
  })
}
