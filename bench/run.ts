/**
 * `npm run bench`: every benchmark, each against its baseline measured in the same run, then
 * the results table in BENCHMARKS.md rewritten with this machine's description.
 * BENCH_CPU_PROF=dir also profiles the gateways and prints what dominated their CPU.
 */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { benchConnections } from './connections.js'
import { benchHttpIngest } from './http-ingest.js'
import { describeMachine, machineInfo } from './lib/machine.js'
import { log, runMain } from './lib/main.js'
import { printSummary as printProfile, summariseFile } from './lib/profile-summary.js'
import { printSummary, resultsBlock, rewriteBenchmarksMd } from './lib/report.js'
import { benchMqttQos0 } from './mqtt-qos0.js'
import { benchMqttQos1 } from './mqtt-qos1.js'
import { benchOfflineDetection } from './offline-detection.js'
import { benchRealtimeVisibility } from './realtime-visibility.js'

async function printProfiles(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()
  for (const file of files) printProfile(path.join(dir, file), await summariseFile(path.join(dir, file), 15))
}

runMain(async () => {
  const started = Date.now()
  const machine = await machineInfo()
  log(`Machine: ${describeMachine(machine)}`)
  const rows = [...await benchHttpIngest(), ...await benchMqttQos1(), ...await benchMqttQos0(), ...await benchOfflineDetection(), ...await benchRealtimeVisibility(), ...await benchConnections()]
  printSummary(machine, rows)
  await rewriteBenchmarksMd(resultsBlock(machine, rows, 'npm run bench'))
  const profDir = process.env.BENCH_CPU_PROF
  if (profDir !== undefined) await printProfiles(profDir)
  log(`\nBENCHMARKS.md updated; whole run ${Math.round((Date.now() - started) / 1000)} s`)
})
