import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { Aedes } from 'aedes'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { Config } from '../config/settings.js'
import { errors, PulseGateError } from '../../processors/errors.js'

/** The embedded broker's listeners (SPEC §3): TCP always, TLS and WebSocket when configured. */
export interface BrokerListeners {
  /** `mqtt://`, `mqtts://` and `ws(s)://…/mqtt` URLs, in that order, with the ports bound. */
  urls: string[]
  /** Stops accepting connections (connected clients stay until the broker closes). */
  close(): void
}

type Listening = { server: Server | HttpServer; url: string }

export async function listenBroker(broker: Aedes, config: Config): Promise<BrokerListeners> {
  const tls = tlsOptions(config)
  const started: Listening[] = []
  const host = config.mqttHost
  const shown = displayHost(host)
  try {
    started.push(await bind(createTcpServer(broker.handle), host, config.mqttPort, (p) => `mqtt://${shown}:${p}`))
    if (config.mqttsPort !== undefined) {
      if (tls === undefined) throw misconfigured('PULSEGATE_MQTTS_PORT needs PULSEGATE_MQTT_TLS_CERT and PULSEGATE_MQTT_TLS_KEY')
      started.push(await bind(createTlsServer(tls, broker.handle), host, config.mqttsPort, (p) => `mqtts://${shown}:${p}`))
    }
    if (config.mqttWsPort !== undefined) {
      const web = tls === undefined ? createHttpServer() : createHttpsServer(tls)
      // Each WebSocket becomes a duplex stream of MQTT bytes, handled like a TCP socket.
      const wss = new WebSocketServer({ server: web, path: '/mqtt' })
      wss.on('connection', (socket) => broker.handle(createWebSocketStream(socket)))
      started.push(await bind(web, host, config.mqttWsPort, (p) => `${tls === undefined ? 'ws' : 'wss'}://${shown}:${p}/mqtt`))
    }
  } catch (err) {
    for (const l of started) l.server.close()
    throw err
  }
  return { urls: started.map((l) => l.url), close: () => { for (const l of started) l.server.close() } }
}

function tlsOptions(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (config.mqttTlsCert === undefined && config.mqttTlsKey === undefined) return undefined
  if (config.mqttTlsCert === undefined || config.mqttTlsKey === undefined) throw misconfigured('set both PULSEGATE_MQTT_TLS_CERT and PULSEGATE_MQTT_TLS_KEY, or neither')
  const read = (file: string, name: string): Buffer => {
    try { return readFileSync(file) } catch (err) { throw misconfigured(`${name}: cannot read ${file} (${(err as Error).message})`) }
  }
  return { cert: read(config.mqttTlsCert, 'PULSEGATE_MQTT_TLS_CERT'), key: read(config.mqttTlsKey, 'PULSEGATE_MQTT_TLS_KEY') }
}

const misconfigured = (detail: string): PulseGateError => new PulseGateError(errors.CONFIG_INVALID, detail)

/** A wildcard bind is reached on loopback from this machine; the banner says so. */
const displayHost = (host: string): string => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host)

function bind(server: Server | HttpServer, host: string, port: number, url: (port: number) => string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve({ server, url: url((server.address() as AddressInfo).port) })
    })
  })
}
