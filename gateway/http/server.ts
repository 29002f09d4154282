import cors from '@fastify/cors'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { errors } from '../../processors/errors.js'
import type { GatewayServices } from '../services.js'
import { registerAccess } from './access.js'
import { errorBody, handleError } from './errors.js'
import { registerDecompression } from './decompress.js'
import { registerInflightLimit } from './inflight.js'
import { registerRateLimit } from './rate-limit.js'
import { parseJsonBody } from './json-body.js'
import { adminAuditRoutes } from './routes/admin-audit.js'
import { adminDeviceRoutes } from './routes/admin-devices.js'
import { adminKeyRoutes } from './routes/admin-keys.js'
import { adminMqttAccountRoutes } from './routes/admin-mqtt-accounts.js'
import { adminOptOutRoutes } from './routes/admin-opt-outs.js'
import { adminStoreRoutes } from './routes/admin-stores.js'
import { adminStatsRoutes, statsRoutes } from './routes/stats.js'
import { deviceRoutes } from './routes/devices.js'
import { healthRoutes } from './routes/health.js'
import { ingestRoutes } from './routes/ingest.js'
import { metricsRoutes } from './routes/metrics.js'
import { openApiRoutes } from './routes/openapi.js'
import { quarantineRoutes } from './routes/quarantine.js'

function jsonParser(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonBody(body.toString()))
  } catch (err) {
    done(err as Error)
  }
}

/** Builds the HTTP API; binds nothing (the entry point calls `listen`). */
export async function buildHttp(svc: GatewayServices): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: svc.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: svc.config.maxBatchBytes,
    // Requests are measured by a histogram; a log line each would cost more than the request.
    logController: new LogController({ disableRequestLogging: true }),
    // A misspelt filter must be refused, not silently dropped (a replay would take everything).
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true
  })
  // Our own JSON parser so a malformed body is answered with where it broke (JSON.parse's
  // message carries the position); sendBeacon and plain fetch send JSON as text/plain.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, jsonParser)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody(errors.NOT_FOUND.code, `no route ${req.method} ${req.url}`))
  })
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    svc.metrics.httpSeconds.observe({ route, method: req.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
    if (reply.statusCode === 401 || reply.statusCode === 403) svc.metrics.authFailures.inc({ status_code: String(reply.statusCode) })
  })
  await registerPlugins(app, svc)
  ingestRoutes(app, svc)
  quarantineRoutes(app, svc)
  deviceRoutes(app, svc)
  statsRoutes(app, svc)
  adminStatsRoutes(app, svc)
  adminKeyRoutes(app, svc)
  adminOptOutRoutes(app, svc)
  adminAuditRoutes(app, svc)
  adminDeviceRoutes(app, svc)
  adminStoreRoutes(app, svc)
  adminMqttAccountRoutes(app, svc)
  healthRoutes(app, svc)
  metricsRoutes(app, svc)
  openApiRoutes(app)
  return app
}

/**
 * Order matters, and is the order of registration: keys are checked first (a wrong key costs
 * no body read), then the per-key rate limit, then the in-flight budget, all before a byte of
 * the body is read; then the body is decompressed: fastify's body limit counts the decompressed
 * bytes, so a gzip bomb stops at `max_batch_bytes`.
 */
async function registerPlugins(app: FastifyInstance, svc: GatewayServices): Promise<void> {
  const { config } = svc
  if (config.corsOrigins !== undefined) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'content-encoding', 'traceparent'],
      maxAge: 600
    })
  }
  registerAccess(app, svc.keys)
  if (config.rateLimitPerKey > 0) await registerRateLimit(app, { maxPerSecond: config.rateLimitPerKey, metrics: svc.metrics })
  registerInflightLimit(app, { maxBytes: config.httpMaxInflightBytes, maxBodyBytes: config.maxBatchBytes, metrics: svc.metrics })
  registerDecompression(app, config.maxBatchBytes)
}
