import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { GatewayServices } from '../services.js'
import { errorBody, handleError } from './errors.js'
import { parseJsonBody } from './json-body.js'
import { errors } from '../../processors/errors.js'
import { batchRoutes } from './routes/batch.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'

function jsonParser(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonBody(body.toString()))
  } catch (err) {
    done(err as Error)
  }
}

/** Builds the HTTP API; binds nothing (the entry point calls `listen`). */
export function buildHttp(svc: GatewayServices): FastifyInstance {
  const app = Fastify({
    loggerInstance: svc.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: svc.config.maxBatchBytes,
    // Requests are measured by a histogram; a log line each would cost more than the request.
    logController: new LogController({ disableRequestLogging: true }),
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
  })
  batchRoutes(app, svc)
  healthRoutes(app, svc)
  metricsRoutes(app, svc)
  return app
}
