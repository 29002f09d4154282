import type { FastifyInstance } from 'fastify'
import type { GatewayServices } from '../../services.js'

/** The MQTT side: the embedded broker runs in this process; an external broker's session may be down. */
type MqttHealth = { mode: 'embedded' } | { mode: 'external'; connected: boolean; last_message_age_s: number | null }

/**
 * `/health` (the process and its store), `/health/database` and `/health/mqtt`. 503 when the
 * store does not answer. A disconnected external broker makes only `/health/mqtt` answer 503:
 * `/health` stays a liveness check, and restarting the gateway would not bring the broker back
 * (the session reconnects by itself).
 */
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
  const external = svc.config.mqttUrl !== undefined
  app.get('/health', { config: { access: 'public' } }, async (_req, reply) => {
    const db = await database()
    const body = { status: db.ok ? 'ok' : 'degraded', uptime_s: Math.round(process.uptime()), intake_queue_rows: svc.intake.depth(), database: db, ...(external ? { mqtt: await mqttHealth(svc) } : {}) }
    return reply.code(db.ok ? 200 : 503).send(body)
  })
  app.get('/health/database', { config: { access: 'public' } }, async (_req, reply) => {
    const db = await database()
    return reply.code(db.ok ? 200 : 503).send(db)
  })
  app.get('/health/mqtt', { config: { access: 'public' } }, async (_req, reply) => {
    const mqtt = await mqttHealth(svc)
    return reply.code(mqtt.mode === 'embedded' || mqtt.connected ? 200 : 503).send(mqtt)
  })
}

/** Read from the metrics the external session keeps (external.ts), so health and `/metrics` always agree. */
async function mqttHealth(svc: GatewayServices): Promise<MqttHealth> {
  if (svc.config.mqttUrl === undefined) return { mode: 'embedded' }
  const value = async (gauge: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> => (await gauge.get()).values[0]?.value ?? 0
  const connected = (await value(svc.metrics.mqttExternalConnected)) === 1
  const last = await value(svc.metrics.mqttExternalLastMessage)
  return { mode: 'external', connected, last_message_age_s: last === 0 ? null : Math.max(0, Math.round(Date.now() / 1000 - last)) }
}
