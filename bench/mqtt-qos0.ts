/**
 * MQTT QoS 0 heartbeats. Subject: heartbeats the gateway processed — counted by its own
 * ledger (`pulsegate_events_received_total{source="mqtt"}`, each one stored or coalesced) —
 * per second. Baseline: messages mosquitto forwarded to one QoS 0 subscriber per second. The
 * same 1,000 authenticated device clients send back to back on both; the round machinery is
 * mqtt-qos1.ts's, with `qos: 0`.
 *
 * Alone: `node --import tsx bench/mqtt-qos0.ts` (BENCH_ROUNDS, BENCH_MQTT_QOS0_PER_DEVICE, BENCH_MQTT_QOS0_VARY_EVERY,
 * BENCH_MQTT_DEVICES, BENCH_MQTT_WORKERS, BENCH_CPU_PROF=dir).
 */
import { machineInfo } from './lib/machine.js'
import { envInt, isMain, runMain } from './lib/main.js'
import { printSummary, type ResultRow } from './lib/report.js'
import { benchMqttQos1, mqttQos1Defaults, type MqttQos1Options } from './mqtt-qos1.js'

export const mqttQos0Defaults = (): MqttQos1Options => ({
  ...mqttQos1Defaults(),
  qos: 0,
  // Nothing paces a QoS 0 device: a round of 30 each is over before the clock means much.
  perDevice: envInt('BENCH_MQTT_QOS0_PER_DEVICE', 100),
  // A device's battery, latency and signal hold for a while, as real ones do, so the gateway
  // coalesces most heartbeats as it would in the field; BENCH_MQTT_QOS0_VARY_EVERY=1 moves
  // them on every heartbeat (each one then stored: the worst case).
  varyEvery: envInt('BENCH_MQTT_QOS0_VARY_EVERY', 20),
  pglite: false
})

export const benchMqttQos0 = (opts: MqttQos1Options = mqttQos0Defaults()): Promise<ResultRow[]> => benchMqttQos1(opts)

if (isMain(import.meta.url)) {
  runMain(async () => printSummary(await machineInfo(), await benchMqttQos0()))
}
