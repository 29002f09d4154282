/**
 * The gateway authenticates every MQTT client: a benchmark registers its fleet through the
 * admin API first, as an operator would, and hands each device its secret.
 */
import { BENCH_ADMIN_KEY } from './gateway-process.js'
import { deviceId, deviceLocation, type DeviceLogin } from './mqtt-messages.js'

async function adminPost<T>(httpUrl: string, route: string, contentType: string, body: string): Promise<T> {
  const res = await fetch(`${httpUrl}${route}`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': contentType }, body })
  if (res.status !== 200 && res.status !== 201) throw new Error(`[bench] POST ${route}: ${res.status} ${(await res.text()).slice(0, 500)}`)
  return await res.json() as T
}

/**
 * Devices `dev-0001`… registered by one CSV import (`POST /v1/admin/devices/import`), each at
 * its `deviceLocation` with `intervalS`; answers the secrets by device id.
 */
export async function registerFleet(httpUrl: string, devices: number, intervalS: number): Promise<Map<string, string>> {
  const lines = Array.from({ length: devices }, (_, n) => {
    const { store_id, table_id } = deviceLocation(n)
    return `${deviceId(n)},${store_id},${table_id},${intervalS}`
  })
  const csv = ['device_id,store_id,table_id,heartbeat_interval_s', ...lines].join('\n')
  const { created } = await adminPost<{ created: Array<{ device_id: string; secret: string }> }>(httpUrl, '/v1/admin/devices/import', 'text/csv', csv)
  if (created.length !== devices) throw new Error(`[bench] fleet import created ${created.length} of ${devices} devices`)
  return new Map(created.map((d) => [d.device_id, d.secret]))
}

/** Each device id with its secret from `secrets` (none: anonymous, for mosquitto). */
export const loginsOf = (ids: readonly string[], secrets?: ReadonlyMap<string, string>): DeviceLogin[] =>
  ids.map((id) => ({ id, secret: secrets?.get(id) }))

/** A tool's MQTT service account, allowed to subscribe within `subscribe`: user name `svc:{name}` and its secret. */
export async function serviceAccount(httpUrl: string, name: string, subscribe: string[]): Promise<{ username: string; password: string }> {
  const account = await adminPost<{ username: string; secret: string }>(httpUrl, '/v1/admin/mqtt-accounts', 'application/json', JSON.stringify({ name, subscribe }))
  return { username: account.username, password: account.secret }
}
