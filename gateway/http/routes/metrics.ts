import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../../services.js'

/** `GET /metrics` in the Prometheus text format. */
export function metricsRoutes(app: FastifyInstance, svc: GatewayServices): void {
  app.get('/metrics', { config: { access: 'public' } }, async (_req, reply) => {
    svc.refreshGauges()
    const text = await svc.metrics.registry.metrics()
    return reply.header('content-type', svc.metrics.registry.contentType).send(text)
  })
}
