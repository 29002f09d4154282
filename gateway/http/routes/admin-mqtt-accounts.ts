import type { FastifyInstance } from 'fastify'
import type { MqttAccount } from '../../../processors/access/mqtt-accounts.js'
import { errors } from '../../../processors/errors.js'
import type { GatewayServices } from '../../services.js'
import { errorBody } from '../errors.js'
import { actorOf } from './admin-keys.js'

const FILTERS = { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 1024 } } as const

interface CreateBody { name: string; publish?: string[]; subscribe?: string[] }

/**
 * `/v1/admin/mqtt-accounts`: service accounts for tools (SPEC §3). Create answers the secret
 * once; the tool connects with user name `svc:{name}` and may publish and subscribe only
 * within its topic filters. Revoking refuses its next CONNECT (after the credential cache, at
 * most 10 s on other replicas).
 */
export function adminMqttAccountRoutes(app: FastifyInstance, svc: GatewayServices): void {
  const config = { access: 'admin' } as const
  app.post<{ Body: CreateBody }>('/v1/admin/mqtt-accounts', {
    config,
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, publish: FILTERS, subscribe: FILTERS }
      }
    }
  }, async (req, reply) => {
    const { name, publish = [], subscribe = [] } = req.body
    const account = await svc.mqttAccounts.create({ name, publish, subscribe }, actorOf(req.apiKey))
    return reply.code(201).send(wireAccount(account))
  })
  app.get('/v1/admin/mqtt-accounts', { config }, async () => ({ accounts: (await svc.mqttAccounts.list()).map(wireAccount) }))
  app.delete<{ Params: { name: string } }>('/v1/admin/mqtt-accounts/:name', { config }, async (req, reply) => {
    const account = await svc.mqttAccounts.revoke(req.params.name, actorOf(req.apiKey))
    if (account === null) return reply.code(404).send(errorBody(errors.NO_SUCH_ACCOUNT.code, `no MQTT service account ${req.params.name}`))
    return wireAccount(account)
  })
}

function wireAccount(a: MqttAccount & { secret?: string }): Record<string, unknown> {
  return {
    name: a.name, username: a.username, publish: a.publish, subscribe: a.subscribe, secret_prefix: a.secretPrefix,
    created_at: a.createdAt, revoked_at: a.revokedAt, ...(a.secret === undefined ? {} : { secret: a.secret })
  }
}
