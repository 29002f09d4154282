import { createServer, type AddressInfo, type Server } from 'node:net'
import type { Logger } from 'pino'
import { buildGateway, type Gateway, type GatewayDeps } from './build.js'
import type { Config } from './config/settings.js'

export interface RunningGateway {
  gateway: Gateway
  httpUrl: string
  mqttUrl: string
  /** Graceful stop: stop accepting, finish in-flight work, flush, close (SPEC §11). */
  stop(): Promise<void>
}

/**
 * Builds the gateway and binds its listeners. The MQTT broker listens on loopback only until
 * device authentication exists: anyone who can reach it could publish as any device.
 */
export async function startGateway(config: Config, deps: GatewayDeps = {}): Promise<RunningGateway> {
  const gateway = await buildGateway(config, deps)
  const log = gateway.services.log
  const httpUrl = await gateway.http.listen({ host: config.httpHost, port: config.httpPort })
  const mqttServer = createServer(gateway.broker.handle)
  const mqttPort = await listenTcp(mqttServer, '127.0.0.1', config.mqttPort)
  await gateway.jobs.start()
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`
  log.info({ http: httpUrl, mqtt: mqttUrl, store: gateway.services.db.kind }, 'gateway started')
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => (stopping ??= shutdown(gateway, mqttServer, log, config.shutdownTimeoutMs))
  return { gateway, httpUrl, mqttUrl, stop }
}

function listenTcp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/**
 * Order matters: refuse new connections first; let in-flight HTTP requests and MQTT publishes
 * reach their commit (their answers and PUBACKs still go out); drain the intake; then close
 * the keep-alive connections that were busy when closing began (Node closes only the idle ones
 * at that moment, and would otherwise wait for their keep-alive timeout); only then disconnect
 * MQTT clients, stop jobs and close the store.
 */
async function shutdown(gw: Gateway, mqttServer: Server, log: Logger, timeoutMs: number): Promise<void> {
  log.info('shutting down')
  const timer = setTimeout(() => log.warn({ timeoutMs }, 'shutdown is taking longer than the timeout'), timeoutMs).unref()
  mqttServer.close()
  const httpClosed = gw.http.close()
  await gw.services.intake.close()
  gw.http.server.closeIdleConnections()
  const forced = setTimeout(() => gw.http.server.closeAllConnections(), 1000).unref()
  await httpClosed
  clearTimeout(forced)
  await new Promise<void>((resolve) => gw.broker.close(() => resolve()))
  await gw.close()
  clearTimeout(timer)
  log.info('stopped')
}
