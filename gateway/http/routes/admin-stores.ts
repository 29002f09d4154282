import type { FastifyInstance } from 'fastify'
import { ID_PATTERN } from '../../../processors/devices/device-record.js'
import { errors } from '../../../processors/errors.js'
import { compileOpeningHours, MAX_ENTRIES } from '../../../processors/stores/opening-hours.js'
import type { StoreRecord } from '../../../processors/stores/registry.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

const ID = { type: 'string', pattern: ID_PATTERN.source } as const

interface PutBody { name?: string; time_zone?: string; opening_hours?: unknown[] }
type Params = { store_id: string }

/**
 * `/v1/admin/stores` (SPEC §6, §12): stores and their opening hours. PUT replaces the whole
 * store; a field left out takes its default (no name, the gateway's PULSEGATE_TIMEZONE, no
 * opening hours: always open). GET of one store also says whether it is open now (or at
 * `?at=`) and when that next changes, so hours can be checked before an alarm depends on them.
 */
export function adminStoreRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'admin' } as const
  const stores = svc.storeRegistry
  app.put<{ Params: Params; Body: PutBody }>('/v1/admin/stores/:store_id', {
    config,
    schema: {
      params: { type: 'object', properties: { store_id: ID } },
      body: {
        type: 'object', additionalProperties: false,
        properties: { name: { type: 'string', maxLength: 200 }, time_zone: { type: 'string', maxLength: 64 }, opening_hours: { type: 'array', maxItems: MAX_ENTRIES } }
      }
    }
  }, async (req, reply) => {
    const b = req.body ?? {}
    const { store, created } = await stores.upsert({
      storeId: req.params.store_id, name: b.name, timeZone: b.time_zone ?? svc.config.timeZone, openingHours: b.opening_hours ?? []
    }, actorOf(req.apiKey))
    // Presence reads the compiled hours from memory: changed here, they apply at once.
    await svc.openingHours.refresh()
    return reply.code(created ? 201 : 200).send(wireStore(store))
  })
  app.get<{ Querystring: { after?: string; limit?: number } }>('/v1/admin/stores', {
    config,
    schema: {
      querystring: { type: 'object', additionalProperties: false, properties: { after: ID, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 } } }
    }
  }, async (req) => ({ stores: (await stores.list({ after: req.query.after, limit: req.query.limit ?? 1000 })).map(wireStore) }))
  app.get<{ Params: Params; Querystring: { at?: string } }>('/v1/admin/stores/:store_id', {
    config,
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { at: { type: 'string' } } } }
  }, async (req, reply) => {
    const at = req.query.at === undefined ? new Date() : new Date(req.query.at)
    if (Number.isNaN(at.getTime()) || (req.query.at !== undefined && !/(Z|[+-]\d{2}:?\d{2})$/.test(req.query.at))) {
      return reply.code(400).send(errorBody(errors.REQUEST.code, 'at must be an ISO 8601 time with a zone, such as 2026-03-29T09:00:00+02:00', { path: '/at' }))
    }
    const store = await stores.get(req.params.store_id)
    if (store === null) return reply.code(404).send(errorBody(errors.NO_SUCH_STORE.code, `no store ${req.params.store_id}`))
    const hours = compileOpeningHours(store.openingHours)
    const next = hours.nextChange(at)
    return { ...wireStore(store), status: { at: at.toISOString(), open: hours.isOpen(at), next_change: next === null ? null : { at: next.at.toISOString(), open: next.open } } }
  })
  app.delete<{ Params: Params }>('/v1/admin/stores/:store_id', { config }, async (req, reply) => {
    if (!await stores.delete(req.params.store_id, actorOf(req.apiKey))) {
      return reply.code(404).send(errorBody(errors.NO_SUCH_STORE.code, `no store ${req.params.store_id}`))
    }
    await svc.openingHours.refresh()
    return { deleted: true }
  })
}

function wireStore(s: StoreRecord): Record<string, unknown> {
  return { store_id: s.storeId, name: s.name, time_zone: s.timeZone, opening_hours: s.openingHours, created_at: s.createdAt, updated_at: s.updatedAt }
}
