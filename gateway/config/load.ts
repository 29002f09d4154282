import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { errors, PulseGateError } from '../../processors/errors.js'
import { settings, type Config } from './settings.js'

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv
  /** Config file (YAML or JSON); defaults to `PULSEGATE_CONFIG` when set. */
  file?: string | undefined
}

/**
 * Reads every setting from the environment and the optional file, validates them all, and
 * returns one frozen object. Every problem is reported together, each naming its setting and
 * what is allowed, so a user fixes them in one round.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env
  const problems: string[] = []
  const file = readConfigFile(opts.file ?? env.PULSEGATE_CONFIG, problems)
  const out: Record<string, unknown> = {}
  for (const setting of settings) {
    // An empty variable counts as unset (compose files write unset ones as empty).
    const raw = nonEmpty(env[setting.env]) ?? file.get(setting.env) ?? setting.default
    if (raw === undefined || raw === '') continue
    try {
      out[setting.key] = setting.parse(raw)
    } catch (err) {
      problems.push(`${setting.env}=${setting.sensitive === true ? '(hidden)' : JSON.stringify(hidePassword(raw))} ${(err as Error).message}`)
    }
  }
  if (problems.length > 0) throw new PulseGateError(errors.CONFIG_INVALID, '\n  ' + problems.join('\n  '))
  return Object.freeze(out) as Config
}

const nonEmpty = (v: string | undefined): string | undefined => (v === '' ? undefined : v)

/** A URL's password never reaches the terminal or the logs, even in an error. */
function hidePassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@')
}

/** File keys are the variable names, with or without the prefix, in any case: `http_port: 8080`. */
function readConfigFile(path: string | undefined, problems: string[]): Map<string, string> {
  const out = new Map<string, string>()
  if (path === undefined || path === '') return out
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path, 'utf8'))
  } catch (err) {
    problems.push(`PULSEGATE_CONFIG=${JSON.stringify(path)} cannot be read: ${(err as Error).message}`)
    return out
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    problems.push(`PULSEGATE_CONFIG=${JSON.stringify(path)} must hold a mapping of settings`)
    return out
  }
  const known = new Set(settings.map((s) => s.env))
  for (const [k, v] of Object.entries(doc)) {
    const name = k.toUpperCase().startsWith('PULSEGATE_') ? k.toUpperCase() : `PULSEGATE_${k.toUpperCase()}`
    if (!known.has(name)) problems.push(`${path}: unknown setting ${k}`)
    else if (v === null || typeof v === 'object') problems.push(`${path}: ${k} must be a plain value`)
    else out.set(name, String(v))
  }
  return out
}
