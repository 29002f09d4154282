#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { loadConfig } from '../gateway/config/load.js'
import type { Config } from '../gateway/config/settings.js'
import { startGateway, type RunningGateway } from '../gateway/listen.js'
import { PulseGateError } from '../processors/errors.js'
import { simulateCommand } from '../simulator/cli.js'
import { startDemo } from '../simulator/demo.js'
import { devicesCommand } from './commands/devices.js'
import { keysCommand } from './commands/keys.js'
import { mqttAccountsCommand } from './commands/mqtt-accounts.js'
import { planLint } from './commands/plan-lint.js'
import { statsCommand } from './commands/stats.js'
import { storesCommand } from './commands/stores.js'

const USAGE = `Usage: pulsegate <command>

Commands:
  start [--demo]        run the gateway (HTTP API, MQTT broker, store, jobs); --demo adds a
                        small simulated fleet of devices, to see live metrics at once
  keys create|list|revoke
                        manage API keys through the running gateway
  devices add|list|disable|enable|rotate|import
                        manage devices and their MQTT secrets through the running gateway
  stores add|list|show|remove
                        manage stores and their opening hours through the running gateway
  mqtt-accounts create|list|revoke
                        manage MQTT service accounts for tools through the running gateway
  stats recompute --from <day> --to <day>
                        recompute the statistics of a range of days (with a progress bar)
  simulate [--scenario <file.yaml>] [options]
                        simulate devices (and apps) against the running gateway and write
                        the ground truth (pulsegate simulate --help)
  plan lint <file|dir>  check a tracking plan (or a directory of plan versions)
  help                  show this text

Configuration comes from PULSEGATE_* environment variables and an optional
file named by PULSEGATE_CONFIG; see the README's configuration table.`

async function start(demoMode: boolean): Promise<void> {
  const config = loadConfig()
  const gateway = await startGateway(config)
  const demo = demoMode ? await startDemo(gateway) : null
  const running = demo?.running ?? gateway
  // Handlers before the banner: whoever waits for the banner may signal at once (a supervisor,
  // a test), and a SIGTERM before they exist would kill the process without a drain.
  handleSignals(running)
  const store = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'
  process.stdout.write([
    '',
    'PulseGate is running',
    `  HTTP API   ${running.httpUrl}   (POST /v1/batch with a write key, GET /health, /openapi.json)`,
    `  metrics    ${running.httpUrl}/metrics`,
    ...mqttLines(config, running.mqttUrls),
    `  store      ${store}`,
    ...adminKeyLines(running.gateway.generatedAdminKey),
    ...demo?.lines ?? [],
    'Press Ctrl-C to stop.',
    ''
  ].filter((line, i, lines) => line !== '' || lines[i - 1] !== '').join('\n') + '\n')
}

/** Where devices connect, and how they authenticate; anonymous mode is said loudly. */
function mqttLines(config: Config, urls: string[]): string[] {
  if (config.mqttUrl !== undefined) return [`  MQTT       subscribed to ${urls.join(', ')}   (external broker; devices/+/heartbeat, events, status)`]
  const auth = config.mqttAllowAnonymous
    ? 'ANONYMOUS CLIENTS ADMITTED: any client may publish as any device (testing only)'
    : 'user name = device id, password = its secret (pulsegate devices add)'
  return urls.map((url, i) => `  ${i === 0 ? 'MQTT      ' : '          '} ${url}${i === 0 ? `   (${auth})` : ''}`)
}

/**
 * SIGTERM and SIGINT start the ordered shutdown. Listeners stay installed: with none left, a
 * second SIGTERM during the drain would kill the process mid-commit (the default action). A
 * second Ctrl-C is a person asking to quit now.
 */
function handleSignals(running: RunningGateway): void {
  let stopping = false
  const onSignal = (signal: string): void => {
    const log = running.gateway.services.log
    if (stopping) {
      log.warn({ signal }, signal === 'SIGINT' ? 'second interrupt: exiting without finishing the drain' : 'already stopping')
      if (signal === 'SIGINT') process.exit(130)
      return
    }
    stopping = true
    log.info({ signal }, 'signal received')
    running.stop().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`pulsegate: shutdown failed: ${(err as Error).message}\n`)
      process.exit(1)
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

/** The generated admin key is shown here once and never again (only its digest is stored). */
function adminKeyLines(secret: string | null): string[] {
  if (secret === null) return []
  return [
    '',
    `  admin key  ${secret}`,
    '             generated at first start and shown only now: store it. Create a write key with',
    '             PULSEGATE_ADMIN_KEY=<admin key> npx pulsegate keys create --kind write --app <app id>',
    ''
  ]
}

async function main(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false })
  const command = positionals[0] ?? 'help'
  if (command === 'start') return start(argv.includes('--demo'))
  if (command === 'keys') { process.exitCode = await keysCommand(argv.slice(1), process.stdout); return }
  if (command === 'devices') { process.exitCode = await devicesCommand(argv.slice(1), process.stdout); return }
  if (command === 'stores') { process.exitCode = await storesCommand(argv.slice(1), process.stdout); return }
  if (command === 'mqtt-accounts') { process.exitCode = await mqttAccountsCommand(argv.slice(1), process.stdout); return }
  if (command === 'stats') { process.exitCode = await statsCommand(argv.slice(1), process.stdout); return }
  if (command === 'simulate') { process.exitCode = await simulateCommand(argv.slice(1), process.stdout); return }
  if (command === 'plan' && positionals[1] === 'lint') { process.exitCode = await planLint(argv.slice(2), process.stdout); return }
  process.stdout.write(USAGE + '\n')
  if (command !== 'help') process.exitCode = 2
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof PulseGateError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err)
  process.stderr.write(`pulsegate: ${message}\n`)
  process.exit(1)
})
