import type { FastifyInstance, FastifyReply, FastifySchemaValidationError } from 'fastify'
import type { ApiKey } from '../../../processors/access/keys.js'
import { heartbeatHistory, minuteHistory, transitionHistory, type HistoryQuery } from '../../../processors/devices/device-history.js'
import { getDeviceStatus, listDeviceStatus, type DeviceStateName, type DeviceStatus } from '../../../processors/devices/device-status.js'
import { errors, PulseGateError } from '../../../processors/errors.js'
import { parseTimestamp } from '../../../processors/pipeline/time.js'
import { DEVICES_APP } from '../../../processors/presence/transition-events.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'

/** Any id: devices that are not registered (anonymous, test mode) may have ids the registry would refuse. */
const TEXT = { type: 'string', minLength: 1, maxLength: 128 } as const
const DEVICE_PARAMS = { type: 'object', properties: { device_id: TEXT } } as const
const DAY_MS = 86_400_000

interface ListQuery { store_id?: string; state?: DeviceStateName; cursor?: string; limit?: number }
interface HistoryParams { from?: string; to?: string; resolution?: 'raw' | 'minute'; limit?: number }
type Params = { device_id: string }

/**
 * `GET /v1/devices`, `/v1/devices/{id}` and `/v1/devices/{id}/history` (SPEC §4 "device list
 * and device status", §6): every device the registry or presence knows, its state with the
 * reason and time of its last transition, and its history. Read key (or admin).
 *
 * Device data belongs to the app `devices` (its events and presence transitions are stored
 * under it): an all-app read key or one limited to `devices` sees it; a read key limited to
 * another app sees no device, as `/v1/quarantine` shows such a key only its own app's rows.
 */
export function deviceRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'read' } as const
  const deps = { db: svc.db, presence: svc.presence }
  app.get<{ Querystring: ListQuery }>('/v1/devices', {
    config, schemaErrorFormatter: namedParameter,
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          store_id: TEXT, state: { type: 'string', enum: ['online', 'offline', 'unknown'] }, cursor: TEXT,
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }
        }
      }
    }
  }, async (req) => {
    if (!seesDevices(req.apiKey)) return { devices: [], next_cursor: null }
    const q = req.query
    const page = await listDeviceStatus(deps, { storeId: q.store_id, state: q.state, after: q.cursor, limit: q.limit ?? 100 })
    return { devices: page.devices.map(wireStatus), next_cursor: page.nextCursor }
  })
  app.get<{ Params: Params }>('/v1/devices/:device_id', {
    config, schemaErrorFormatter: namedParameter, schema: { params: DEVICE_PARAMS }
  }, async (req, reply) => {
    const device = seesDevices(req.apiKey) ? await getDeviceStatus(deps, req.params.device_id) : null
    if (device === null) return noDevice(reply, req.params.device_id, req.apiKey)
    return { ...wireStatus(device), registry: wireRegistry(device) }
  })
  app.get<{ Params: Params; Querystring: HistoryParams }>('/v1/devices/:device_id/history', {
    config, schemaErrorFormatter: namedParameter,
    schema: {
      params: DEVICE_PARAMS,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          from: { type: 'string' }, to: { type: 'string' }, resolution: { type: 'string', enum: ['raw', 'minute'], default: 'raw' },
          limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 }
        }
      }
    }
  }, async (req, reply) => {
    const deviceId = req.params.device_id
    const resolution = req.query.resolution ?? 'raw'
    const range = historyRange(req.query, Date.now(), resolution === 'raw' ? svc.config.heartbeatRetentionDays : undefined)
    if ('problem' in range) return reply.code(400).send(errorBody(errors.REQUEST.code, range.problem, { path: range.path }))
    const device = seesDevices(req.apiKey) ? await getDeviceStatus(deps, deviceId) : null
    if (device === null) return noDevice(reply, deviceId, req.apiKey)
    const q: HistoryQuery = { deviceId, ...range, limit: req.query.limit ?? 1000 }
    const transitions = await transitionHistory(svc.db, q)
    const heartbeats = resolution === 'raw' ? await heartbeatHistory(svc.db, q) : await minuteHistory(svc.db, q)
    return {
      device_id: deviceId, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), resolution,
      transitions: transitions.items, heartbeats: heartbeats.items,
      truncated: { transitions: transitions.truncated, heartbeats: heartbeats.truncated }
    }
  })
}

const seesDevices = (key: ApiKey | undefined): boolean => key?.appId === null || key?.appId === DEVICES_APP

/** The same answer whether or not a hidden device exists: a key that cannot see devices learns nothing. */
function noDevice(reply: FastifyReply, deviceId: string, key: ApiKey | undefined): FastifyReply {
  const hidden = seesDevices(key) ? '' : ` for a read key limited to app ${key?.appId ?? ''} (device data belongs to the app ${DEVICES_APP})`
  return reply.code(404).send(errorBody(errors.NO_SUCH_DEVICE.code, `no device ${deviceId}${hidden}`))
}

/**
 * `from` and `to` (exclusive) as epoch ms: default the last 24 hours. Raw heartbeats are kept
 * `PULSEGATE_HEARTBEAT_RETENTION_DAYS`: a raw range reaching further back is refused rather
 * than answered with a silent gap; the minute rollups reach as far back as events.
 */
function historyRange(q: HistoryParams, now: number, rawRetentionDays?: number): { from: number; to: number } | { problem: string; path: string } {
  const to = q.to === undefined ? now : parseTimestamp(q.to)
  if (to === undefined) return { problem: 'to must be ISO 8601 with a zone, or epoch milliseconds', path: '/to' }
  const from = q.from === undefined ? to - DAY_MS : parseTimestamp(q.from)
  if (from === undefined) return { problem: 'from must be ISO 8601 with a zone, or epoch milliseconds', path: '/from' }
  if (from >= to) return { problem: `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`, path: '/from' }
  const oldest = rawRetentionDays === undefined ? -Infinity : now - rawRetentionDays * DAY_MS
  if (from < oldest) {
    return { problem: `raw heartbeats are kept ${rawRetentionDays} days (PULSEGATE_HEARTBEAT_RETENTION_DAYS): from must be after ${new Date(oldest).toISOString()}, or ask for resolution=minute`, path: '/from' }
  }
  return { from, to }
}

/**
 * A schema error that names the parameter (`path`), also for one the route does not know
 * (ajv's own message for that, "must NOT have additional properties", does not say which).
 */
function namedParameter(problems: FastifySchemaValidationError[], dataVar: string): Error {
  const e = problems[0]
  const params = (e?.params ?? {}) as { additionalProperty?: string; allowedValues?: unknown[] }
  const name = params.additionalProperty ?? e?.instancePath.replace(/^\//, '') ?? ''
  const message = params.additionalProperty !== undefined
    ? `${dataVar}/${name} is not a parameter of this route`
    : `${dataVar}/${name} ${e?.message ?? 'is invalid'}${params.allowedValues === undefined ? '' : `: ${params.allowedValues.join(', ')}`}`
  return new PulseGateError(errors.REQUEST, message, { details: { path: `/${name}` } })
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** snake_case on the wire; times as ISO strings. */
function wireStatus(d: DeviceStatus): Record<string, unknown> {
  return {
    device_id: d.deviceId, store_id: d.storeId, table_id: d.tableId, registered: d.registered, enabled: d.enabled,
    state: d.state, reason: d.reason, since: isoOrNull(d.since), last_seen: isoOrNull(d.lastSeen), interval_s: d.intervalS,
    deadline: isoOrNull(d.deadline)
  }
}

/** What the registry adds, without the secret's prefix: read keys see state, not credentials. */
function wireRegistry(d: DeviceStatus): Record<string, unknown> | null {
  const r = d.record
  return r === null ? null : { heartbeat_interval_s: r.heartbeatIntervalS, created_at: r.createdAt, updated_at: r.updatedAt, last_rotated_at: r.lastRotatedAt }
}
