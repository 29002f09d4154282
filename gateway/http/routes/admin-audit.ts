import type { FastifyInstance } from 'fastify'
import { listAudit } from '../../../processors/access/audit.js'
import type { GatewayServices } from '../../services.js'

/** `GET /v1/admin/audit`: admin actions, newest first (SPEC §11). */
export function adminAuditRoutes(app: FastifyInstance, svc: GatewayServices): void {
  app.get<{ Querystring: { before_id?: number; limit?: number } }>('/v1/admin/audit', {
    config: { access: 'admin' },
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { before_id: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }
      }
    }
  }, async (req) => ({ entries: await listAudit(svc.db, { limit: req.query.limit ?? 100, beforeId: req.query.before_id }) }))
}
