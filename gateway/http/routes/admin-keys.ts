import type { FastifyInstance } from 'fastify'
import { KEY_KINDS, type KeyKind } from '../../../processors/access/keys.js'
import { errors } from '../../../processors/errors.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'

const APP_ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } as const

interface CreateBody { kind: KeyKind; app_id?: string; name?: string }

/** `/v1/admin/keys`: create (the secret is in this answer only), list, revoke (SPEC §4, §12). */
export function adminKeyRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'admin' } as const
  app.post<{ Body: CreateBody }>('/v1/admin/keys', {
    config,
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['kind'],
        properties: { kind: { type: 'string', enum: [...KEY_KINDS] }, app_id: APP_ID, name: { type: 'string', maxLength: 200 } }
      }
    }
  }, async (req, reply) => {
    const { kind, app_id: appId, name } = req.body
    if (kind === 'write' && appId === undefined) {
      return reply.code(400).send(errorBody(errors.REQUEST.code, 'a write key needs app_id: the app its events belong to', { path: '/app_id' }))
    }
    if (kind === 'admin' && appId !== undefined) {
      return reply.code(400).send(errorBody(errors.REQUEST.code, 'an admin key belongs to no app; leave app_id out', { path: '/app_id' }))
    }
    const key = await svc.keys.create({ kind, appId: appId ?? null, name: name ?? '' }, actorOf(req.apiKey))
    return reply.code(201).send(wireKey(key))
  })
  app.get('/v1/admin/keys', { config }, async () => ({ keys: (await svc.keys.list()).map(wireKey) }))
  app.delete<{ Params: { id: string } }>('/v1/admin/keys/:id', { config }, async (req, reply) => {
    const key = await svc.keys.revoke(req.params.id, actorOf(req.apiKey))
    if (key === null) return reply.code(404).send(errorBody(errors.NO_SUCH_KEY.code, `no key ${req.params.id}`))
    return wireKey(key)
  })
}

export const actorOf = (key: { id: string } | undefined): string => key?.id ?? 'unknown'

/** snake_case on the wire, like every other answer. */
function wireKey(k: { id: string; kind: string; appId: string | null; name: string; prefix: string; createdAt: string; revokedAt: string | null; secret?: string }): Record<string, unknown> {
  return {
    id: k.id, kind: k.kind, app_id: k.appId, name: k.name, prefix: k.prefix, created_at: k.createdAt, revoked_at: k.revokedAt,
    ...(k.secret === undefined ? {} : { secret: k.secret })
  }
}
