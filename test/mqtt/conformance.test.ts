/**
 * The conformance suite against mosquitto (the reference devices are tested with) and
 * against PulseGate's embedded broker, which must behave alike (issue 4, item 10).
 *
 * Each run owns its broker, so the restart case can stop and start it on the same port with
 * what it persisted: mosquitto is the test mosquitto's configuration (`startMosquitto`) with
 * persistence on; PulseGate is a gateway in-process on its own data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { settings } from '../../gateway/config/settings.js'
import { testConfig } from '../support/gateway.js'
import { startMosquitto, type MosquittoServer } from '../support/services.js'
import { conformanceSuite, type BrokerUnderTest } from './conformance.js'

async function mosquittoBroker(): Promise<BrokerUnderTest> {
  const persistenceDir = await mkdtemp(join(tmpdir(), 'pulsegate-conformance-mosquitto-'))
  let server: MosquittoServer = await startMosquitto({ persistenceDir })
  return {
    url: server.url,
    async restart() {
      await server.stop()
      server = await startMosquitto({ port: server.port, persistenceDir })
    },
    async stop() {
      await server.stop()
      await rm(persistenceDir, { recursive: true, force: true })
    }
  }
}

// Today every MQTT client is admitted; once device authentication lands, anonymous clients
// need this setting (issue 4, item 2), and the suite keeps running unchanged.
const anonymous: Record<string, string> = (settings as readonly { key: string }[]).some((s) => s.key === 'mqttAllowAnonymous')
  ? { PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'true' }
  : {}

async function pulseGateBroker(): Promise<BrokerUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pulsegate-conformance-gateway-'))
  const start = (port: string): Promise<RunningGateway> =>
    startGateway(testConfig({ ...anonymous, PULSEGATE_DATA_DIR: dataDir, PULSEGATE_MQTT_PORT: port }))
  let running = await start('0')
  const url = running.mqttUrl
  return {
    url,
    async restart() {
      await running.stop()
      running = await start(new URL(url).port)
    },
    async stop() {
      await running.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

// Where the brokers fall short of MQTT 3.1.1 today. Each entry turns red once fixed.
conformanceSuite('mosquitto', mosquittoBroker, {
  knownGaps: {
    keepalive: 'mosquitto 2.0.11 checks keepalives on a periodic scan; a 2 s keepalive is closed after 4–7 s, not 3 s',
    overlapping: 'mosquitto 2.0.11 sends one copy at the QoS of the `+` filter, QoS 0 when `#` granted QoS 1'
  }
})
conformanceSuite('PulseGate embedded broker (aedes)', pulseGateBroker, {
  knownGaps: {
    overlapping: 'aedes sends one copy at the QoS of the `#` filter, QoS 0 when `+` granted QoS 1'
  }
})
