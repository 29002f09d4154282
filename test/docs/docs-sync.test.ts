import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { settings } from '../../gateway/config/settings.js'
import { errors } from '../../processors/errors.js'
import { createMetrics } from '../../processors/metrics/metrics.js'
import { packageRoot } from '../../processors/package-root.js'
import { CONFIG_END, CONFIG_START, configTable } from '../../scripts/config-table.js'

const root = packageRoot()
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

/** The text between the README's config markers, without the newlines next to them. */
function readmeConfigBlock(readme: string): string | undefined {
  const start = readme.indexOf(CONFIG_START)
  const end = readme.indexOf(CONFIG_END)
  if (start === -1 || end < start) return undefined
  return readme.slice(start + CONFIG_START.length, end).replace(/^\n/, '').replace(/\n$/, '')
}

/** Every .ts file under the given folders, relative to the package root. */
function sourceFiles(dirs: string[]): string[] {
  return dirs.flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)))
}

/** Inline-code spans of a Markdown text: `PG_ERR_X` counts as documented, a bare mention in prose does not. */
function codeSpans(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string))
}

describe('documentation stays in sync with the code', () => {
  it('lists every coded error in docs/errors.md', () => {
    const documented = codeSpans(read('docs/errors.md'))
    const missing = Object.values(errors).map((e) => e.code).filter((code) => !documented.has(code))
    expect(missing).toEqual([])
  })

  it('documents every rejection code the code can produce, in docs/errors.md and (HTTP ones) in the OpenAPI enum', () => {
    const found = new Map<string, string>()
    for (const file of sourceFiles(['processors', 'gateway'])) {
      for (const m of read(file).matchAll(/(?:reject\(|code: (?:[^'\n]*\? )?)'([a-z_]+)'/g)) found.set(m[1] as string, file)
      for (const m of read(file).matchAll(/code: [^\n]*\? '([a-z_]+)' : '([a-z_]+)'/g)) { found.set(m[1] as string, file); found.set(m[2] as string, file) }
    }
    expect(found.size).toBeGreaterThan(15)
    const documented = codeSpans(read('docs/errors.md'))
    expect([...found.keys()].filter((c) => !documented.has(c))).toEqual([])
    const openapi = read('docs/openapi.yaml')
    const mqttOnly = [...found].filter(([, file]) => file.includes('ingest/heartbeat')).map(([c]) => c)
    const httpCodes = [...found.keys()].filter((c) => !mqttOnly.includes(c) || ['type_mismatch', 'constraint_violation'].includes(c))
    expect(httpCodes.filter((c) => !openapi.includes(`        - ${c}\n`))).toEqual([])
  })

  it('has the README configuration table that scripts/config-table.ts generates', () => {
    // When this fails: npm run docs:config
    expect(readmeConfigBlock(read('README.md'))).toBe(configTable())
  })

  it('names every setting in the README', () => {
    const readme = read('README.md')
    expect(settings.map((s) => s.env).filter((env) => !readme.includes(env))).toEqual([])
  })

  it('lists every pulsegate_ metric in docs/operations.md', async () => {
    const documented = codeSpans(read('docs/operations.md'))
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('pulsegate_'))
    expect(names.length).toBeGreaterThan(0)
    expect(names.filter((n) => !documented.has(n))).toEqual([])
  })

  it('gives the two fresh-machine commands in the README', () => {
    const lines = read('README.md').split('\n').map((l) => l.trim())
    expect(lines).toContain('npm ci && npm start')
    expect(lines).toContain('npm ci && npm test')
  })
})
