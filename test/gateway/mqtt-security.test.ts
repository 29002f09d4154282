import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type RunningGateway } from '../../gateway/listen.js'
import { openPglite } from '../../processors/db/pglite.js'
import { parseMetrics, testConfig } from '../support/gateway.js'

const run = promisify(execFile)
const ADMIN = 'admin-key-for-broker-security'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A self-signed certificate for localhost and 127.0.0.1, made by openssl for this run only. */
async function makeCertificate(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsegate-tls-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert])
  return { cert, key }
}

/** QoS granted to each filter, 128 for a refusal (MQTT.js rejects the promise then, with the SUBACK attached). */
function grantedQos(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve) => client.subscribe(filters, { qos: 1 }, (_err, _subs, packet) => resolve((packet as { granted: number[] }).granted)))
}

/** CONNACK return code of a connection attempt (0 when admitted), or the TLS error code. */
async function connackCode(url: string, opts: IClientOptions): Promise<number | string> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts })
    c.end(true)
    return 0
  } catch (err) {
    return (err as { code?: number | string }).code ?? -1
  }
}

describe('broker security: device credentials, ACL, service accounts, TLS and WebSocket listeners', () => {
  let running: RunningGateway
  let tls: { cert: string; key: string }
  const secrets = new Map<string, string>()
  const clients: MqttClient[] = []

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${running.httpUrl}${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }
  const metric = async (name: string) => parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text()).get(name) ?? 0
  const device = async (id: string, opts: IClientOptions = {}) => {
    const c = await mqtt.connectAsync(running.mqttUrl, { clientId: id, username: id, password: secrets.get(id), reconnectPeriod: 0, ...opts })
    clients.push(c)
    return c
  }
  const db = () => running.gateway.services.db
  const heartbeatRows = async (deviceId: string) => (await db().query('SELECT device_id FROM heartbeats WHERE device_id = $1', [deviceId])).rows.length

  beforeAll(async () => {
    tls = await makeCertificate()
    running = await startGateway(testConfig({
      PULSEGATE_MQTT_ALLOW_ANONYMOUS: 'false', PULSEGATE_ADMIN_KEY: ADMIN, PULSEGATE_MQTT_HOST: '127.0.0.1',
      PULSEGATE_MQTTS_PORT: '0', PULSEGATE_MQTT_WS_PORT: '0', PULSEGATE_MQTT_TLS_CERT: tls.cert, PULSEGATE_MQTT_TLS_KEY: tls.key
    }), { db: await openPglite() })
    for (const [id, store, interval] of [['tc-1', 'shop-1', 2], ['tc-2', 'shop-1', 5], ['tc-off', 'shop-2', 5]] as const) {
      const res = await admin('POST', '/v1/admin/devices', { device_id: id, store_id: store, heartbeat_interval_s: interval })
      secrets.set(id, res.body.secret as string)
    }
    await admin('POST', '/v1/admin/devices/tc-off/disable')
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await running.stop()
  })

  it('lists a TCP, a TLS and a secure WebSocket listener', () => {
    expect(running.mqttUrls).toEqual([
      expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+$/), expect.stringMatching(/^mqtts:\/\/127\.0\.0\.1:\d+$/), expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    ])
  })

  it('refuses wrong, unknown, missing and disabled credentials with their CONNACK codes, and counts each by reason', async () => {
    const url = running.mqttUrl
    expect(await connackCode(url, { clientId: 'tc-1', username: 'tc-1', password: 'not-the-secret' })).toBe(4)
    expect(await connackCode(url, { clientId: 'ghost', username: 'ghost', password: 'whatever' })).toBe(4)
    expect(await connackCode(url, { clientId: 'anon' })).toBe(5)
    expect(await connackCode(url, { clientId: 'tc-off', username: 'tc-off', password: secrets.get('tc-off') })).toBe(5)
    // tc-2's credentials, but tc-1's client id: it would end tc-1's session.
    expect(await connackCode(url, { clientId: 'tc-1', username: 'tc-2', password: secrets.get('tc-2') })).toBe(2)
    expect(await connackCode(url, { clientId: 'tc-1', username: 'tc-1', password: secrets.get('tc-1') })).toBe(0)
    for (const [reason, count] of [['wrong_secret', 1], ['unknown_device', 1], ['anonymous', 1], ['disabled', 1], ['client_id', 1]] as const) {
      expect(await metric(`pulsegate_mqtt_auth_failures_total{reason="${reason}"}`), reason).toBe(count)
    }
  })

  it('refuses a wrong password given by mosquitto_pub, as a new user would see it', async () => {
    const port = new URL(running.mqttUrl).port
    const args = ['-h', '127.0.0.1', '-p', port, '-u', 'tc-2', '-t', 'devices/tc-2/heartbeat', '-q', '1', '-m', '{"store_id":"shop-1"}']
    const refused = await run('mosquitto_pub', [...args, '-P', 'wrong']).then(() => null, (err: { stderr: string }) => err.stderr)
    expect(refused).toMatch(/bad user name or password/i)
    // The right secret, any client id mosquitto_pub picks: stored.
    await run('mosquitto_pub', [...args, '-P', secrets.get('tc-2') as string])
    expect(await heartbeatRows('tc-2')).toBe(1)
  })

  it('closes a device that publishes under another device, storing nothing, and counts the denial', async () => {
    const dev = await device('tc-1')
    const closed = new Promise<void>((resolve) => dev.once('close', () => resolve()))
    dev.publish('devices/tc-2/heartbeat', '{"store_id":"shop-1"}', { qos: 1 })
    await closed
    await sleep(100)
    expect(await heartbeatRows('tc-2')).toBe(1)
    expect(await metric('pulsegate_mqtt_acl_denials_total{action="publish"}')).toBe(1)
  })

  it('lets a device subscribe to its own commands only', async () => {
    const dev = await device('tc-1')
    expect(await grantedQos(dev, ['devices/tc-1/commands', 'devices/tc-2/commands', 'devices/+/status', '#'])).toEqual([1, 128, 128, 128])
    expect(await metric('pulsegate_mqtt_acl_denials_total{action="subscribe"}')).toBe(3)
  })

  it('refuses a device whose Will would speak for another device', async () => {
    const code = await connackCode(running.mqttUrl, {
      clientId: 'tc-2', username: 'tc-2', password: secrets.get('tc-2'), will: { topic: 'devices/tc-1/status', payload: Buffer.from('offline'), qos: 1, retain: true }
    })
    expect(code).toBe(5)
    expect(await metric('pulsegate_mqtt_auth_failures_total{reason="will_topic"}')).toBe(1)
  })

  it('admits a service account within its topic filters: it watches statuses and sends commands, nothing else', async () => {
    const created = await admin('POST', '/v1/admin/mqtt-accounts', { name: 'ops-console', subscribe: ['devices/+/status'], publish: ['devices/+/commands'] })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: 'ops-console', username: 'svc:ops-console', publish: ['devices/+/commands'], subscribe: ['devices/+/status'], revoked_at: null })
    const tool = await mqtt.connectAsync(running.mqttUrl, { username: 'svc:ops-console', password: created.body.secret as string, reconnectPeriod: 0 })
    clients.push(tool)
    expect(await grantedQos(tool, ['devices/+/status', 'devices/tc-1/status', 'devices/#', 'devices/+/heartbeat'])).toEqual([1, 1, 128, 128])
    // A command reaches the device that subscribed to its own commands.
    const dev = await device('tc-1')
    await dev.subscribeAsync('devices/tc-1/commands', { qos: 1 })
    const received = new Promise<string>((resolve) => dev.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)))
    await tool.publishAsync('devices/tc-1/commands', 'reboot', { qos: 1 })
    expect(await received).toBe('devices/tc-1/commands reboot')
    // Publishing a heartbeat for a device is outside its filters: the connection is closed.
    const closed = new Promise<void>((resolve) => tool.once('close', () => resolve()))
    tool.publish('devices/tc-1/heartbeat', '{}', { qos: 1 })
    await closed
    expect(await heartbeatRows('tc-1')).toBe(0)
    // Revoked: refused at the next CONNECT, as not authorised.
    expect((await admin('DELETE', '/v1/admin/mqtt-accounts/ops-console')).body).toMatchObject({ revoked_at: expect.any(String) })
    expect(await connackCode(running.mqttUrl, { username: 'svc:ops-console', password: created.body.secret as string })).toBe(5)
    const { rows } = await db().query("SELECT action FROM audit_log WHERE target = 'ops-console' ORDER BY id")
    expect(rows).toEqual([{ action: 'mqtt_account.create' }, { action: 'mqtt_account.revoke' }])
  })

  it('answers bad service-account requests with a coded JSON error', async () => {
    expect(await admin('POST', '/v1/admin/mqtt-accounts', { name: 'x', subscribe: ['devices/#/status'] })).toMatchObject({
      status: 400, body: { error: { code: 'PG_ERR_ACCOUNT_INVALID', path: '/subscribe/0' } }
    })
    expect(await admin('POST', '/v1/admin/mqtt-accounts', { name: 'Bad Name', subscribe: ['a'] })).toMatchObject({ status: 400, body: { error: { path: '/name' } } })
    expect(await admin('POST', '/v1/admin/mqtt-accounts', { name: 'empty' })).toMatchObject({ status: 400, body: { error: { code: 'PG_ERR_ACCOUNT_INVALID' } } })
    await admin('POST', '/v1/admin/mqtt-accounts', { name: 'twice', subscribe: ['a/#'] })
    expect(await admin('POST', '/v1/admin/mqtt-accounts', { name: 'twice', subscribe: ['a/#'] })).toMatchObject({ status: 409, body: { error: { code: 'PG_ERR_ACCOUNT_EXISTS' } } })
    expect(await admin('DELETE', '/v1/admin/mqtt-accounts/nobody')).toMatchObject({ status: 404, body: { error: { code: 'PG_ERR_NO_SUCH_ACCOUNT' } } })
    // A device id in the service-account namespace is refused.
    expect(await admin('POST', '/v1/admin/devices', { device_id: 'svc:tool', store_id: 's' })).toMatchObject({ status: 400, body: { error: { code: 'PG_ERR_DEVICE_INVALID' } } })
  })

  it('takes heartbeats over TLS with the certificate it was given, and over a secure WebSocket', async () => {
    const ca = readFileSync(tls.cert)
    const overTls = await mqtt.connectAsync(running.mqttUrls[1] as string, { clientId: 'tc-1', username: 'tc-1', password: secrets.get('tc-1'), ca, reconnectPeriod: 0 })
    expect(overTls.stream.constructor.name).toBe('TLSSocket')
    await overTls.publishAsync('devices/tc-1/heartbeat', '{"latency_ms":10}', { qos: 1 })
    overTls.end(true)
    const overWs = await mqtt.connectAsync(running.mqttUrls[2] as string, { clientId: 'tc-2', username: 'tc-2', password: secrets.get('tc-2'), ca, reconnectPeriod: 0 })
    await overWs.publishAsync('devices/tc-2/heartbeat', '{"latency_ms":10}', { qos: 1 })
    overWs.end(true)
    expect(await heartbeatRows('tc-1')).toBe(1)
    expect(await heartbeatRows('tc-2')).toBe(2)
    // An untrusting client refuses the self-signed certificate: the listener really speaks TLS.
    expect(await connackCode(running.mqttUrls[1] as string, { username: 'tc-1', password: secrets.get('tc-1') })).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })

  it('keeps the registry\'s interval and store over the heartbeat\'s own', async () => {
    const dev = await device('tc-1')
    await dev.publishAsync('devices/tc-1/heartbeat', JSON.stringify({ store_id: 'elsewhere', interval_s: 60 }), { qos: 1 })
    const state = running.gateway.services.presence.get('tc-1')
    expect(state).toMatchObject({ online: true, storeId: 'shop-1' })
    // Offline after 3 missed intervals of the registry's 2 s, not the payload's 60 s.
    expect((state?.deadline ?? 0) - (state?.lastSeen ?? 0)).toBe(6000)
  })

  it('counts registered devices that never connected as known and not online, under their registered store; disabled ones not at all', async () => {
    await admin('POST', '/v1/admin/devices', { device_id: 'tc-silent', store_id: 'shop-3' })
    const m = parseMetrics(await (await fetch(`${running.httpUrl}/metrics`)).text())
    expect(m.get('pulsegate_devices_known{store="shop-1"}')).toBe(2)
    expect(m.get('pulsegate_devices_online{store="shop-1"}')).toBe(2)
    expect(m.get('pulsegate_devices_known{store="shop-3"}')).toBe(1)
    expect(m.get('pulsegate_devices_online{store="shop-3"}')).toBe(0)
    expect(m.has('pulsegate_devices_known{store="shop-2"}')).toBe(false)
    expect(m.has('pulsegate_devices_known{store="elsewhere"}')).toBe(false)
  })
})

describe('a plain WebSocket listener without TLS', () => {
  it('carries MQTT at /mqtt', async () => {
    const running = await startGateway(testConfig({ PULSEGATE_MQTT_WS_PORT: '0' }), { db: await openPglite() })
    try {
      expect(running.mqttUrls[1]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
      const c = await mqtt.connectAsync(running.mqttUrls[1] as string, { clientId: 'ws-1', reconnectPeriod: 0 })
      await c.publishAsync('devices/ws-1/heartbeat', '{"store_id":"s"}', { qos: 1 })
      c.end(true)
      expect((await running.gateway.services.db.query("SELECT source FROM heartbeats WHERE device_id = 'ws-1'")).rows).toEqual([{ source: 'mqtt' }])
    } finally {
      await running.stop()
    }
  })
})
