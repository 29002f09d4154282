/**
 * The README's configuration table, generated from `gateway/config/settings.ts` so the two
 * cannot drift (test/docs/docs-sync.test.ts fails when they do).
 *
 *   npm run docs:config            rewrites the table between the markers in README.md
 *   npm run docs:config -- --print prints the table
 *   npm run docs:config -- --check exits 1 when README.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { settings } from '../gateway/config/settings.js'

export const CONFIG_START = '<!-- config:start -->'
export const CONFIG_END = '<!-- config:end -->'

const README = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md')

/** A table cell: pipes escaped, so a doc string can never break the row. */
const cell = (text: string): string => text.replaceAll('|', '\\|')

/** The Markdown table `Variable | Default | Meaning`, one row per setting, in registry order. */
export function configTable(): string {
  const rows = settings.map((s) => {
    const dflt = s.default === undefined ? 'unset' : `\`${s.default}\``
    return `| \`${s.env}\` | ${cell(dflt)} | ${cell(s.doc)} |`
  })
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n')
}

/** `text` with the block between the markers replaced by `table`; throws when a marker is missing. */
export function withConfigTable(text: string, table: string = configTable()): string {
  const start = text.indexOf(CONFIG_START)
  const end = text.indexOf(CONFIG_END)
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md needs ${CONFIG_START} and ${CONFIG_END}, in that order`)
  return `${text.slice(0, start + CONFIG_START.length)}\n${table}\n${text.slice(end)}`
}

function main(args: string[]): void {
  if (args.includes('--print')) {
    process.stdout.write(configTable() + '\n')
    return
  }
  const current = readFileSync(README, 'utf8')
  const next = withConfigTable(current)
  if (args.includes('--check')) {
    if (next !== current) {
      process.stderr.write('README.md configuration table is out of date: run npm run docs:config\n')
      process.exitCode = 1
    }
    return
  }
  if (next === current) {
    process.stdout.write('README.md configuration table is up to date\n')
    return
  }
  writeFileSync(README, next)
  process.stdout.write(`README.md configuration table rewritten (${settings.length} settings)\n`)
}

// Run only as a script, not when a test imports configTable().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
