import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../gateway/config/load.js'
import type { Config } from '../../gateway/config/settings.js'

/**
 * A config for a gateway under test: free ports, a temp data dir, no log output, anonymous MQTT
 * clients admitted (tests of broker security set `PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false'`).
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      PULSEGATE_HTTP_PORT: '0', PULSEGATE_MQTT_PORT: '0', PULSEGATE_LOG_LEVEL: 'silent', PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'true',
      PULSEGATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulsegate-test-')), ...env
    }
  })
}

/** Parses a Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

/** Sum of every series of a metric family, optionally filtered by a label substring. */
export function sumOf(metrics: Map<string, number>, name: string, labelFilter = ''): number {
  let total = 0
  for (const [key, value] of metrics) {
    if ((key === name || key.startsWith(name + '{')) && key.includes(labelFilter)) total += value
  }
  return total
}

/** A fresh key of a gateway under test, created as an admin would. */
export async function keyFor(gw: { services: { keys: { create(input: { kind: 'write' | 'read' | 'admin'; appId?: string | null }, actor: string): Promise<{ secret: string }> } } }, kind: 'write' | 'read' | 'admin' = 'write', appId: string | null = kind === 'admin' ? null : 'test-app'): Promise<string> {
  return (await gw.services.keys.create({ kind, appId }, 'test')).secret
}
