import { errors } from '../../processors/errors.js'
import { adminClient, CliError, parseCommandArgs, runSubcommand, textTable, type AdminClient } from './admin-client.js'

const USAGE = `Usage:
  pulsegate stores add <store id> [--name <name>] [--time-zone <zone>]
                       [--rrule <RRULE> --duration <ISO 8601 duration> [--tzid <zone>]]... [--replace] [--json]
  pulsegate stores list [--json]
  pulsegate stores show <store id> [--at <ISO 8601 time>] [--json]
  pulsegate stores remove <store id>

Opening hours are entries of an RRULE (when each opening starts, in the wall time of its
zone), a duration (how long it lasts: PT14H, PT30M, P1D) and an IANA zone. Give --rrule and
--duration once per entry, --tzid once per entry or once for all (default: --time-zone).
A store without entries is always open; outside its hours a device going offline is
expected (reason closed), not an alarm.

add refuses a store that exists unless --replace is given: a replaced store takes exactly
what the command says, so a field left out returns to its default (no name, the gateway's
PULSEGATE_TIMEZONE, no opening hours). remove leaves the store's devices registered.

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY.`

const OPTIONS = {
  name: { type: 'string' }, 'time-zone': { type: 'string' }, rrule: { type: 'string', multiple: true }, duration: { type: 'string', multiple: true },
  tzid: { type: 'string', multiple: true }, replace: { type: 'boolean' }, at: { type: 'string' }, json: { type: 'boolean' }
} as const

interface Entry { rrule: string; duration: string; tzid: string }
interface WireStore { store_id: string; name: string; time_zone: string; opening_hours: Entry[]; created_at: string; updated_at: string }
interface StoreStatus { at: string; open: boolean; next_change: { at: string; open: boolean } | null }

type Values = { name?: string; 'time-zone'?: string; rrule?: string[]; duration?: string[]; tzid?: string[]; replace?: boolean; at?: string; json?: boolean }
const PAGE = 1000

/** `pulsegate stores …`: returns the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function storesCommand(args: string[], out: NodeJS.WritableStream, client?: AdminClient): Promise<number> {
  const parsed = parseCommandArgs('stores', args, OPTIONS, USAGE, out)
  if (parsed === undefined) return 2
  const { values, positionals: [sub, id] } = parsed
  const hours = openingHours(values)
  if (typeof hours === 'string') {
    out.write(`pulsegate stores: ${hours}\n`)
    return 2
  }
  return runSubcommand('stores', USAGE, out, () => run(client ?? adminClient(), sub, id, values, hours, out))
}

/** The opening-hours entries the flags describe, or what is wrong with them. */
function openingHours(v: Values): Entry[] | string {
  const rrules = v.rrule ?? []
  const durations = v.duration ?? []
  const tzids = v.tzid ?? (v['time-zone'] === undefined ? [] : [v['time-zone']])
  if (rrules.length !== durations.length) return `each --rrule needs its --duration (${rrules.length} --rrule, ${durations.length} --duration)`
  if (rrules.length === 0) return v.tzid === undefined ? [] : '--tzid belongs to an opening-hours entry: give --rrule and --duration too'
  if (tzids.length !== 1 && tzids.length !== rrules.length) {
    return tzids.length === 0 ? 'opening hours need a zone: --tzid, or --time-zone for all entries' : `give --tzid once for all entries or once per entry (${rrules.length} entries, ${tzids.length} --tzid)`
  }
  return rrules.map((rrule, i) => ({ rrule, duration: durations[i] as string, tzid: (tzids.length === 1 ? tzids[0] : tzids[i]) as string }))
}

/** Runs one subcommand; false when the arguments name none. */
async function run(api: AdminClient, sub: string | undefined, id: string | undefined, values: Values, hours: Entry[], out: NodeJS.WritableStream): Promise<boolean> {
  const json = values.json === true
  if (sub === 'list' && id === undefined) {
    const stores = await listAll(api)
    out.write(json ? JSON.stringify(stores) + '\n' : table(stores))
    return true
  }
  if (id === undefined) return false
  const path = `/v1/admin/stores/${encodeURIComponent(id)}`
  if (sub === 'add') {
    if (values.replace !== true && await exists(api, path)) throw new CliError(`store ${id} exists; add --replace to replace it (every field: what you leave out returns to its default)`)
    const body = { name: values.name, time_zone: values['time-zone'], opening_hours: hours }
    const s = await api.call('PUT', path, body) as WireStore
    out.write(json ? JSON.stringify(s) + '\n' : `${s.created_at === s.updated_at ? 'created' : 'replaced'} store ${describe(s)}\n`)
    return true
  }
  if (sub === 'show') {
    const s = await api.call('GET', values.at === undefined ? path : `${path}?at=${encodeURIComponent(values.at)}`) as WireStore & { status: StoreStatus }
    out.write(json ? JSON.stringify(s) + '\n' : `store ${describe(s)}\n${statusLine(s.status)}\n`)
    return true
  }
  if (sub === 'remove') {
    await api.call('DELETE', path)
    out.write(`store ${id} removed; its devices stay registered, with no opening hours (always open)\n`)
    return true
  }
  return false
}

async function exists(api: AdminClient, path: string): Promise<boolean> {
  try {
    await api.call('GET', path)
    return true
  } catch (err) {
    if (err instanceof CliError && err.message.includes(errors.NO_SUCH_STORE.code)) return false
    throw err
  }
}

async function listAll(api: AdminClient): Promise<WireStore[]> {
  const all: WireStore[] = []
  for (;;) {
    const query = new URLSearchParams({ limit: String(PAGE), ...(all.length === 0 ? {} : { after: (all.at(-1) as WireStore).store_id }) })
    const { stores } = await api.call('GET', `/v1/admin/stores?${query}`) as { stores: WireStore[] }
    all.push(...stores)
    if (stores.length < PAGE) return all
  }
}

/** An entry on one line: an RRULE may carry a `DTSTART:` line of its own. */
const entryText = (e: Entry): string => `${e.rrule.replace(/\s*\n\s*/g, ' ')} for ${e.duration} (${e.tzid})`

function describe(s: WireStore): string {
  const hours = s.opening_hours.length === 0 ? 'always open' : `open ${s.opening_hours.map(entryText).join('; ')}`
  return `${s.store_id}${s.name === '' ? '' : ` (${s.name})`}, time zone ${s.time_zone}, ${hours}`
}

function statusLine(st: StoreStatus): string {
  const next = st.next_change === null ? 'no change within 400 days' : `${st.next_change.open ? 'opens' : 'closes'} at ${st.next_change.at}`
  return `${st.open ? 'open' : 'closed'} at ${st.at}; ${next}`
}

function table(stores: WireStore[]): string {
  const rows = [['STORE', 'NAME', 'TIME ZONE', 'OPENING HOURS', 'UPDATED'],
    ...stores.map((s) => [s.store_id, s.name === '' ? '-' : s.name, s.time_zone, s.opening_hours.length === 0 ? 'always open' : s.opening_hours.map(entryText).join('; '), s.updated_at])]
  return textTable(rows)
}
