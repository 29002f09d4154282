import { readFile } from 'node:fs/promises'
import { adminClient, CliError, parseCommandArgs, runSubcommand, textTable, type AdminClient } from './admin-client.js'

const USAGE = `Usage:
  pulsegate devices add <device id> --store <store id> [--table <table id>] [--interval <seconds>] [--json]
  pulsegate devices list [--store <store id>] [--json]
  pulsegate devices disable <device id>
  pulsegate devices enable <device id>
  pulsegate devices rotate <device id> [--json]
  pulsegate devices import <file.csv> [--json]

A device connects over MQTT with its id as user name and its secret as password; the secret
is printed once, by add, rotate and import. An import file has the header
device_id,store_id,table_id,heartbeat_interval_s and is imported whole or not at all.

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY.`

interface WireDevice {
  device_id: string; store_id: string; table_id: string | null; heartbeat_interval_s: number; enabled: boolean
  secret_prefix: string; created_at: string; updated_at: string; last_rotated_at: string | null; secret?: string
}
interface ImportAnswer { created: WireDevice[]; updated: WireDevice[]; unchanged: string[] }

type Values = { store?: string; table?: string; interval?: string; json?: boolean }
const PAGE = 1000

/** `pulsegate devices …`: returns the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function devicesCommand(args: string[], out: NodeJS.WritableStream, client?: AdminClient): Promise<number> {
  const parsed = parseCommandArgs('devices', args, { store: { type: 'string' }, table: { type: 'string' }, interval: { type: 'string' }, json: { type: 'boolean' } } as const, USAGE, out)
  if (parsed === undefined) return 2
  const { values, positionals: [sub, arg] } = parsed
  if (values.interval !== undefined && !/^\d+$/.test(values.interval)) {
    out.write(`pulsegate devices: --interval takes whole seconds, not ${JSON.stringify(values.interval)}\n`)
    return 2
  }
  return runSubcommand('devices', USAGE, out, () => run(client ?? adminClient(), sub, arg, values, out))
}

/** Runs one subcommand; false when the arguments name none. */
async function run(api: AdminClient, sub: string | undefined, arg: string | undefined, values: Values, out: NodeJS.WritableStream): Promise<boolean> {
  const json = values.json === true
  const path = (id: string, action = ''): string => `/v1/admin/devices/${encodeURIComponent(id)}${action}`
  if (sub === 'add' && arg !== undefined && values.store !== undefined) {
    const body = { device_id: arg, store_id: values.store, table_id: values.table, heartbeat_interval_s: values.interval === undefined ? undefined : Number(values.interval) }
    const d = await api.call('POST', '/v1/admin/devices', body) as WireDevice
    out.write(json ? JSON.stringify(d) + '\n' : `device ${d.device_id} in store ${d.store_id}${d.table_id === null ? '' : `, table ${d.table_id}`}, heartbeat every ${d.heartbeat_interval_s} s\n${d.secret}\n` +
      `The secret is shown only now: set it as the device's MQTT password (user name ${d.device_id}).\n`)
    return true
  }
  if (sub === 'list' && arg === undefined) {
    const devices = await listAll(api, values.store)
    out.write(json ? JSON.stringify(devices) + '\n' : table(devices))
    return true
  }
  if ((sub === 'disable' || sub === 'enable') && arg !== undefined) {
    const d = await api.call('POST', path(arg, `/${sub}`)) as WireDevice
    out.write(`${d.device_id} is ${d.enabled ? 'enabled' : 'disabled'}\n`)
    return true
  }
  if (sub === 'rotate' && arg !== undefined) {
    const d = await api.call('POST', path(arg, '/rotate')) as WireDevice
    out.write(json ? JSON.stringify(d) + '\n' : `new secret for ${d.device_id}\n${d.secret}\nThe old secret no longer works; this one is shown only now.\n`)
    return true
  }
  if (sub === 'import' && arg !== undefined) {
    const csv = await readFile(arg, 'utf8').catch((err: Error) => { throw new CliError(`cannot read ${arg}: ${err.message}`) })
    const answer = await api.call('POST', '/v1/admin/devices/import', { csv }) as ImportAnswer
    out.write(json ? JSON.stringify(answer) + '\n' : importSummary(answer))
    return true
  }
  return false
}

async function listAll(api: AdminClient, store: string | undefined): Promise<WireDevice[]> {
  const all: WireDevice[] = []
  for (;;) {
    const query = new URLSearchParams({ limit: String(PAGE), ...(store === undefined ? {} : { store_id: store }), ...(all.length === 0 ? {} : { after: (all.at(-1) as WireDevice).device_id }) })
    const { devices } = await api.call('GET', `/v1/admin/devices?${query}`) as { devices: WireDevice[] }
    all.push(...devices)
    if (devices.length < PAGE) return all
  }
}

/** New devices' secrets as CSV (`device_id,secret`), ready to hand to whoever flashes the devices. */
function importSummary(a: ImportAnswer): string {
  const head = `created ${a.created.length}, updated ${a.updated.length}, unchanged ${a.unchanged.length}\n`
  if (a.created.length === 0) return head
  return head + 'Secrets of the new devices, shown only now:\ndevice_id,secret\n' + a.created.map((d) => `${d.device_id},${d.secret ?? ''}\n`).join('')
}

function table(devices: WireDevice[]): string {
  const rows = [['DEVICE', 'STORE', 'TABLE', 'INTERVAL', 'ENABLED', 'PREFIX', 'CREATED', 'ROTATED'],
    ...devices.map((d) => [d.device_id, d.store_id, d.table_id ?? '-', `${d.heartbeat_interval_s}s`, d.enabled ? 'yes' : 'no', d.secret_prefix, d.created_at, d.last_rotated_at ?? '-'])]
  return textTable(rows)
}
