#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { loadConfig } from '../gateway/config/load.js'
import { startGateway } from '../gateway/listen.js'
import { PulseGateError } from '../processors/errors.js'

const USAGE = `Usage: pulsegate <command>

Commands:
  start     run the gateway (HTTP API, MQTT broker, store, jobs)
  help      show this text

Configuration comes from PULSEGATE_* environment variables and an optional
file named by PULSEGATE_CONFIG; see the README's configuration table.`

async function start(): Promise<void> {
  const config = loadConfig()
  const running = await startGateway(config)
  const store = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'
  process.stdout.write([
    '',
    'PulseGate is running',
    `  HTTP API   ${running.httpUrl}   (POST /v1/batch, GET /health)`,
    `  metrics    ${running.httpUrl}/metrics`,
    `  MQTT       ${running.mqttUrl}   (loopback only; devices/{id}/heartbeat)`,
    `  store      ${store}`,
    'Press Ctrl-C to stop.',
    ''
  ].join('\n') + '\n')
  const onSignal = (signal: string): void => {
    running.gateway.services.log.info({ signal }, 'signal received')
    running.stop().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`pulsegate: shutdown failed: ${(err as Error).message}\n`)
      process.exit(1)
    })
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}

async function main(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false })
  const command = positionals[0] ?? 'help'
  if (command === 'start') return start()
  process.stdout.write(USAGE + '\n')
  if (command !== 'help') process.exitCode = 2
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof PulseGateError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err)
  process.stderr.write(`pulsegate: ${message}\n`)
  process.exit(1)
})
