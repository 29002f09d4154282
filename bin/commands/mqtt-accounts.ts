import { adminClient, parseCommandArgs, runSubcommand, textTable, type AdminClient } from './admin-client.js'

const USAGE = `Usage:
  pulsegate mqtt-accounts create <name> [--subscribe <filter>]… [--publish <filter>]… [--json]
  pulsegate mqtt-accounts list [--json]
  pulsegate mqtt-accounts revoke <name>

An MQTT service account lets a tool connect to the embedded broker as svc:<name>, publishing
to topics its --publish filters match and subscribing within its --subscribe filters, e.g.
  pulsegate mqtt-accounts create ops-console --subscribe 'devices/+/status' --publish 'devices/+/commands'

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY.`

interface WireAccount { name: string; username: string; publish: string[]; subscribe: string[]; secret_prefix: string; created_at: string; revoked_at: string | null; secret?: string }

/** `pulsegate mqtt-accounts …`: returns the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function mqttAccountsCommand(args: string[], out: NodeJS.WritableStream, client?: AdminClient): Promise<number> {
  const options = { subscribe: { type: 'string', multiple: true }, publish: { type: 'string', multiple: true }, json: { type: 'boolean' } } as const
  const parsed = parseCommandArgs('mqtt-accounts', args, options, USAGE, out)
  if (parsed === undefined) return 2
  const { values, positionals } = parsed
  const [sub, name] = positionals
  return runSubcommand('mqtt-accounts', USAGE, out, async () => {
    const api = client ?? adminClient()
    if (sub === 'create' && name !== undefined) {
      const a = await api.call('POST', '/v1/admin/mqtt-accounts', { name, subscribe: values.subscribe ?? [], publish: values.publish ?? [] }) as WireAccount
      out.write(values.json === true ? JSON.stringify(a) + '\n' : `MQTT user name ${a.username}\n${a.secret}\nThe secret is shown only now; store it.\n`)
      return true
    }
    if (sub === 'list') {
      const { accounts } = await api.call('GET', '/v1/admin/mqtt-accounts') as { accounts: WireAccount[] }
      out.write(values.json === true ? JSON.stringify(accounts) + '\n' : table(accounts))
      return true
    }
    if (sub === 'revoke' && name !== undefined) {
      const a = await api.call('DELETE', `/v1/admin/mqtt-accounts/${encodeURIComponent(name)}`) as WireAccount
      out.write(`revoked ${a.username} at ${a.revoked_at ?? ''}\n`)
      return true
    }
    return false
  })
}

function table(accounts: WireAccount[]): string {
  const rows = [['USERNAME', 'SUBSCRIBE', 'PUBLISH', 'PREFIX', 'CREATED', 'REVOKED'],
    ...accounts.map((a) => [a.username, a.subscribe.join(',') || '-', a.publish.join(',') || '-', a.secret_prefix, a.created_at, a.revoked_at ?? '-'])]
  return textTable(rows)
}
