import type { AdminClient } from '../bin/commands/admin-client.js'
import type { FaultPlan, Plan } from './plan.js'

interface WireDevice { device_id: string; secret?: string }
interface ImportAnswer { created: WireDevice[]; updated: WireDevice[]; unchanged: string[] }

/** What the simulator registered: every device's secret and the write keys it posts with. */
export interface Registration {
  secrets: Map<string, string>
  /** Write key per app id. */
  writeKeys: Map<string, string>
}

/**
 * Registers the plan's stores and devices and creates its write keys, through the admin API as
 * an operator would. Devices go in one CSV import; a device that already existed (an earlier
 * run) keeps its secret, which is never shown again, so it is rotated to learn a new one.
 */
export async function register(api: AdminClient, plan: Plan, apps: string[]): Promise<Registration> {
  for (const store of plan.stores) {
    await api.call('PUT', storePath(store), { name: `Simulated ${store}`, time_zone: plan.scenario.timeZone, opening_hours: [] })
  }
  const csv = ['device_id,store_id,table_id,heartbeat_interval_s', ...plan.devices.map((d) => `${d.id},${d.store},${d.table},${d.intervalS}`)].join('\n') + '\n'
  const answer = await api.call('POST', '/v1/admin/devices/import', { csv }) as ImportAnswer
  const secrets = new Map<string, string>()
  for (const d of answer.created) if (d.secret !== undefined) secrets.set(d.device_id, d.secret)
  for (const id of [...answer.updated.map((d) => d.device_id), ...answer.unchanged]) {
    await api.call('POST', `/v1/admin/devices/${encodeURIComponent(id)}/enable`)
    const rotated = await api.call('POST', `/v1/admin/devices/${encodeURIComponent(id)}/rotate`) as WireDevice
    if (rotated.secret !== undefined) secrets.set(id, rotated.secret)
  }
  const writeKeys = new Map<string, string>()
  for (const app of apps) {
    const key = await api.call('POST', '/v1/admin/keys', { kind: 'write', app_id: app, name: `pulsegate simulate (${plan.scenario.prefix})` }) as { secret: string }
    writeKeys.set(app, key.secret)
  }
  return { secrets, writeKeys }
}

const storePath = (store: string): string => `/v1/admin/stores/${encodeURIComponent(store)}`

/**
 * Gives each store with a `store_closed` fault opening hours that exclude exactly the fault's
 * windows (UTC wall time, to the second): one opening from an hour before the run to the first
 * closing, one between closings, one of a week after the last. Called once the run's start is known.
 */
export async function closeStores(api: AdminClient, plan: Plan, startedAt: number): Promise<void> {
  const byStore = new Map<string, FaultPlan[]>()
  for (const f of plan.faults) if (f.kind === 'store_closed' && f.store !== null) byStore.set(f.store, [...byStore.get(f.store) ?? [], f])
  for (const [store, faults] of byStore) {
    const closed = faults.map((f) => [Math.floor((startedAt + f.startMs) / 1000) * 1000, Math.ceil((startedAt + f.endMs) / 1000) * 1000] as const)
    const opens: number[] = [startedAt - 3_600_000, ...closed.map(([, end]) => end)]
    const closes: number[] = [...closed.map(([start]) => start), opens.at(-1) as number + 7 * 86_400_000]
    const hours = opens.map((open, i) => ({ rrule: `DTSTART:${wall(open)}\nRRULE:FREQ=DAILY;COUNT=1`, duration: `PT${Math.round(((closes[i] as number) - open) / 1000)}S`, tzid: 'UTC' }))
      .filter((_, i) => (closes[i] as number) > (opens[i] as number))
    await api.call('PUT', storePath(store), { name: `Simulated ${store}`, time_zone: plan.scenario.timeZone, opening_hours: hours })
  }
}

/** `20261122T060102`: an instant as UTC wall time, the form of a DTSTART line. */
const wall = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, '')
