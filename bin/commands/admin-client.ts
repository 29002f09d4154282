/**
 * The command line talks to the running gateway's admin API (SPEC §1: tools never open
 * `./data`, which the gateway holds). Where the gateway is: `PULSEGATE_URL`, else this
 * machine's `PULSEGATE_HTTP_PORT`; the key: `PULSEGATE_ADMIN_KEY`, from the environment only,
 * so it never shows in `ps` or shell history.
 */
export interface AdminClient {
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>
}

export class CliError extends Error {}

export function adminClient(env: NodeJS.ProcessEnv = process.env): AdminClient {
  const base = (env.PULSEGATE_URL ?? `http://127.0.0.1:${env.PULSEGATE_HTTP_PORT ?? '8080'}`).replace(/\/+$/, '')
  const key = env.PULSEGATE_ADMIN_KEY
  if (key === undefined || key === '') {
    throw new CliError('set PULSEGATE_ADMIN_KEY to the admin key (printed at first start, or the one you configured)')
  }
  return {
    async call(method, path, body) {
      let res: Response
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body)
        })
      } catch (err) {
        throw new CliError(`cannot reach the gateway at ${base} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is it running? Set PULSEGATE_URL`)
      }
      const text = await res.text()
      const parsed: unknown = text === '' ? null : JSON.parse(text)
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error
        throw new CliError(`${res.status} ${e?.code ?? ''}: ${e?.message ?? text}`)
      }
      return parsed
    }
  }
}
