import type { FastifyInstance, FastifyReply } from 'fastify'
import { ID_PATTERN, MAX_HEARTBEAT_INTERVAL_S, TABLE_PATTERN, type DeviceRecord, type DeviceWithSecret } from '../../../processors/devices/device-record.js'
import { errors } from '../../../processors/errors.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

const ID = { type: 'string', pattern: ID_PATTERN.source } as const
const INTERVAL = { type: 'integer', minimum: 1, maximum: MAX_HEARTBEAT_INTERVAL_S } as const
/** An import file of 50,000 devices is about 3 MiB. */
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024

interface AddBody { device_id: string; store_id: string; table_id?: string | null; heartbeat_interval_s?: number }
interface ListQuery { store_id?: string; enabled?: boolean; after?: string; limit?: number }
type Params = { device_id: string }

/**
 * `/v1/admin/devices` (SPEC §3, §12): register, list, disable, enable, rotate and import
 * devices. A secret appears in the answer of add, rotate and import only; the store keeps its
 * SHA-256 digest. Every change is audited.
 */
export function adminDeviceRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'admin' } as const
  const registry = svc.deviceRegistry
  app.post<{ Body: AddBody }>('/v1/admin/devices', {
    config,
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['device_id', 'store_id'],
        properties: { device_id: ID, store_id: ID, table_id: { anyOf: [{ type: 'string', pattern: TABLE_PATTERN.source }, { type: 'null' }] }, heartbeat_interval_s: INTERVAL }
      }
    }
  }, async (req, reply) => {
    const b = req.body
    const device = await registry.add({ deviceId: b.device_id, storeId: b.store_id, tableId: b.table_id ?? null, heartbeatIntervalS: b.heartbeat_interval_s }, actorOf(req.apiKey))
    return reply.code(201).send(wireDevice(device))
  })
  app.get<{ Querystring: ListQuery }>('/v1/admin/devices', {
    config,
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { store_id: ID, enabled: { type: 'boolean' }, after: ID, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 } }
      }
    }
  }, async (req) => {
    const q = req.query
    const devices = await registry.list({ storeId: q.store_id, enabled: q.enabled, after: q.after, limit: q.limit ?? 1000 })
    return { devices: devices.map(wireDevice) }
  })
  app.get<{ Params: Params }>('/v1/admin/devices/:device_id', { config }, async (req, reply) =>
    found(reply, req.params.device_id, await registry.get(req.params.device_id)))
  for (const action of ['disable', 'enable', 'rotate'] as const) {
    app.post<{ Params: Params }>(`/v1/admin/devices/:device_id/${action}`, { config }, async (req, reply) =>
      found(reply, req.params.device_id, await registry[action](req.params.device_id, actorOf(req.apiKey))))
  }
  void app.register(async (scope) => importRoute(scope, svc))
}

/** In its own scope: the `text/csv` parser serves this route only. */
function importRoute(app: FastifyInstance, svc: GatewayServices): void {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body))
  app.post<{ Body: string | { csv: string } }>('/v1/admin/devices/import', {
    config: { access: 'admin' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      body: {
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'object', additionalProperties: false, required: ['csv'], properties: { csv: { type: 'string' } } } }
        }
      }
    }
  }, async (req) => {
    const csv = typeof req.body === 'string' ? req.body : req.body.csv
    const result = await svc.deviceRegistry.importCsv(csv, actorOf(req.apiKey))
    return { created: result.created.map(wireDevice), updated: result.updated.map(wireDevice), unchanged: result.unchanged }
  })
}

function found(reply: FastifyReply, deviceId: string, device: DeviceRecord | null): FastifyReply | Record<string, unknown> {
  if (device === null) return reply.code(404).send(errorBody(errors.NO_SUCH_DEVICE.code, `no device ${deviceId}`))
  return wireDevice(device)
}

/** snake_case on the wire, like every other answer; `secret` only where it was just made. */
export function wireDevice(d: DeviceRecord | DeviceWithSecret): Record<string, unknown> {
  return {
    device_id: d.deviceId, store_id: d.storeId, table_id: d.tableId, heartbeat_interval_s: d.heartbeatIntervalS, enabled: d.enabled,
    secret_prefix: d.secretPrefix, created_at: d.createdAt, updated_at: d.updatedAt, last_rotated_at: d.lastRotatedAt,
    ...('secret' in d ? { secret: d.secret } : {})
  }
}
