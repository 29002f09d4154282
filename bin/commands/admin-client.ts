import { parseArgs, type ParseArgsConfig } from 'node:util'
/**
 * The command line talks to the running gateway's admin API (SPEC §1: tools never open
 * `./data`, which the gateway holds). Where the gateway is: `PULSEGATE_URL`, else this
 * machine's `PULSEGATE_HTTP_PORT`; the key: `PULSEGATE_ADMIN_KEY`, from the environment only,
 * so it never shows in `ps` or shell history.
 */
export interface AdminClient {
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>
  /** A POST answered with JSON lines (`application/x-ndjson`): `onLine` gets each as it arrives. */
  stream(path: string, body: unknown, onLine: (line: unknown) => void): Promise<void>
}

export class CliError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * The arguments of `pulsegate <command> …`, parsed strictly; on a mistake it prints the
 * problem and the usage and returns undefined (the caller exits with 2).
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, usage: string, out: NodeJS.WritableStream) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options })
  } catch (err) {
    out.write(`pulsegate ${command}: ${(err as Error).message}\n${usage}\n`)
    return undefined
  }
}

/**
 * Runs a subcommand against the gateway and turns its outcome into the exit code: 0 done, 1
 * refused or unreachable (the reason printed), 2 when the arguments name no subcommand (the
 * usage printed). `act` answers false for the latter.
 */
export async function runSubcommand(command: string, usage: string, out: NodeJS.WritableStream, act: () => Promise<boolean>): Promise<number> {
  try {
    if (await act()) return 0
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    out.write(`pulsegate ${command}: ${err.message}\n`)
    return 1
  }
  out.write(usage + '\n')
  return 2
}

/** Rows as aligned columns, header first, two spaces apart. */
export function textTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n'
}

export function adminClient(env: NodeJS.ProcessEnv = process.env): AdminClient {
  const base = (env.PULSEGATE_URL ?? `http://127.0.0.1:${env.PULSEGATE_HTTP_PORT ?? '8080'}`).replace(/\/+$/, '')
  const key = env.PULSEGATE_ADMIN_KEY
  if (key === undefined || key === '') {
    throw new CliError('set PULSEGATE_ADMIN_KEY to the admin key (printed at first start, or the one you configured)')
  }
  const send = async (method: string, path: string, body: unknown): Promise<Response> => {
    try {
      return await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
    } catch (err) {
      throw new CliError(`cannot reach the gateway at ${base} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is it running? Set PULSEGATE_URL`)
    }
  }
  const refused = (res: Response, text: string): CliError => {
    const parsed = parseOrNull(text)
    const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error
    return new CliError(`${res.status} ${e?.code ?? ''}: ${e?.message ?? text}`)
  }
  return {
    async call(method, path, body) {
      const res = await send(method, path, body)
      const text = await res.text()
      if (!res.ok) throw refused(res, text)
      return text === '' ? null : JSON.parse(text)
    },
    async stream(path, body, onLine) {
      const res = await send('POST', path, body)
      if (!res.ok || res.body === null) throw refused(res, await res.text())
      const decoder = new TextDecoder()
      let pending = ''
      for await (const chunk of res.body) {
        pending += decoder.decode(chunk as Uint8Array, { stream: true })
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) if (line.trim() !== '') onLine(JSON.parse(line))
      }
      if (pending.trim() !== '') onLine(JSON.parse(pending))
    }
  }
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
