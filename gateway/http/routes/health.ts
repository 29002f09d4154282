import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../../services.js'

/** `/health` (the process and its store) and `/health/database`. 503 when the store does not answer. */
export function healthRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const database = async (): Promise<{ ok: boolean; kind: string; latency_ms: number; error?: string }> => {
    const started = performance.now()
    try {
      await svc.db.query('SELECT 1')
      return { ok: true, kind: svc.db.kind, latency_ms: Math.round(performance.now() - started) }
    } catch (err) {
      return { ok: false, kind: svc.db.kind, latency_ms: Math.round(performance.now() - started), error: (err as Error).message }
    }
  }
  app.get('/health', { config: { access: 'public' } }, async (_req, reply) => {
    const db = await database()
    const body = { status: db.ok ? 'ok' : 'degraded', uptime_s: Math.round(process.uptime()), intake_queue_rows: svc.intake.depth(), database: db }
    return reply.code(db.ok ? 200 : 503).send(body)
  })
  app.get('/health/database', { config: { access: 'public' } }, async (_req, reply) => {
    const db = await database()
    return reply.code(db.ok ? 200 : 503).send(db)
  })
}
