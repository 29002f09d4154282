import type { Aedes } from 'aedes'
import type { Logger } from 'pino'
import { buildGateway, type Gateway, type GatewayDeps } from './build.js'
import type { Config } from './config/settings.js'
import { connectExternalBroker, type ExternalBroker } from './mqtt/external.js'
import { listenBroker } from './mqtt/listeners.js'

export interface RunningGateway {
  gateway: Gateway
  httpUrl: string
  /** The first of `mqttUrls`: plain MQTT over TCP, or the external broker. */
  mqttUrl: string
  /** Every MQTT listener (TCP, TLS, WebSocket), or the external broker. */
  mqttUrls: string[]
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
  const mqtt = gateway.broker === null ? externalEdge(await connectExternalBroker(gateway.services, config)) : await listenEmbedded(gateway.broker, config)
  await gateway.jobs.start()
  const mqttUrls = mqtt.urls
  const mqttUrl = mqttUrls[0] as string
  log.info({ http: httpUrl, mqtt: mqttUrls, store: gateway.services.db.kind }, 'gateway started')
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => (stopping ??= withDeadline(shutdown(gateway, mqtt, log), config.shutdownTimeoutMs))
  return { gateway, httpUrl, mqttUrl, mqttUrls, stop }
}

/** What stops MQTT traffic at shutdown: the embedded broker's listeners, or the external session. */
interface MqttEdge {
  urls: string[]
  /** Stops accepting new MQTT work (refuses connections). */
  refuse(): void
  /** Ends MQTT after in-flight work committed. */
  close(): Promise<void>
}

const externalEdge = (ext: ExternalBroker): MqttEdge => ({ urls: [ext.url], refuse: () => ext.refuse(), close: () => ext.close() })

async function listenEmbedded(broker: Aedes, config: Config): Promise<MqttEdge> {
  const listeners = await listenBroker(broker, config)
  return {
    urls: listeners.urls,
    refuse: () => listeners.close(),
    close: () => new Promise<void>((resolve) => broker.close(() => resolve()))
  }
}

/**
 * Order matters: refuse new connections first; let in-flight HTTP requests and MQTT publishes
 * reach their commit (their answers and PUBACKs still go out); drain the intake; then close
 * the keep-alive connections that were busy when closing began (Node closes only the idle ones
 * at that moment, and would otherwise wait for their keep-alive timeout); only then disconnect
 * MQTT clients, stop jobs and close the store.
 */
async function shutdown(gw: Gateway, mqtt: MqttEdge, log: Logger): Promise<void> {
  log.info('shutting down')
  mqtt.refuse()
  const httpClosed = gw.http.close()
  await gw.services.intake.close()
  gw.http.server.closeIdleConnections()
  const forced = setTimeout(() => gw.http.server.closeAllConnections(), 1000).unref()
  await httpClosed
  clearTimeout(forced)
  await mqtt.close()
  await gw.close()
  log.info('stopped')
}

/**
 * A stuck step (a store that never answers) must not hold a shutdown forever: past the
 * deadline `stop()` rejects and the entry point exits with status 1. Nothing acknowledged is
 * lost by that — acknowledged means committed — and what was not acknowledged is retried.
 */
function withDeadline(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown did not finish within PULSEGATE_SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms)`)), timeoutMs)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}
