import { adminClient, parseCommandArgs, runSubcommand, textTable, type AdminClient } from './admin-client.js'

const USAGE = `Usage:
  pulsegate keys create --kind write|read|admin [--app <app id>] [--name <label>] [--json]
  pulsegate keys list [--json]
  pulsegate keys revoke <key id>

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY.`

interface WireKey { id: string; kind: string; app_id: string | null; name: string; prefix: string; created_at: string; revoked_at: string | null; secret?: string }

/** `pulsegate keys …`: returns the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function keysCommand(args: string[], out: NodeJS.WritableStream, client?: AdminClient): Promise<number> {
  const parsed = parseCommandArgs('keys', args, { kind: { type: 'string' }, app: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } } as const, USAGE, out)
  if (parsed === undefined) return 2
  const { values, positionals } = parsed
  const [sub, id] = positionals
  return runSubcommand('keys', USAGE, out, async () => {
    const api = client ?? adminClient()
    if (sub === 'create' && values.kind !== undefined) {
      const key = await api.call('POST', '/v1/admin/keys', { kind: values.kind, app_id: values.app, name: values.name }) as WireKey
      out.write(values.json === true ? JSON.stringify(key) + '\n' : `${key.kind} key ${key.id}${key.app_id === null ? '' : ` for app ${key.app_id}`}\n${key.secret}\nThe secret is shown only now; store it.\n`)
      return true
    }
    if (sub === 'list') {
      const { keys } = await api.call('GET', '/v1/admin/keys') as { keys: WireKey[] }
      out.write(values.json === true ? JSON.stringify(keys) + '\n' : table(keys))
      return true
    }
    if (sub === 'revoke' && id !== undefined) {
      const key = await api.call('DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`) as WireKey
      out.write(`revoked ${key.id} at ${key.revoked_at ?? ''}\n`)
      return true
    }
    return false
  })
}

function table(keys: WireKey[]): string {
  const rows = [['ID', 'KIND', 'APP', 'PREFIX', 'NAME', 'CREATED', 'REVOKED'],
    ...keys.map((k) => [k.id, k.kind, k.app_id ?? '-', k.prefix, k.name, k.created_at, k.revoked_at ?? '-'])]
  return textTable(rows)
}
