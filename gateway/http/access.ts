import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiKey, KeyKind } from '../../processors/access/keys.js'
import type { KeyRing } from '../../processors/access/key-ring.js'
import { errors } from '../../processors/errors.js'
import { errorBody } from './errors.js'

/** Who may call a route: declared on every route as `config: { access }`. */
export type Access = 'public' | KeyKind

declare module 'fastify' {
  interface FastifyContextConfig { access?: Access }
  interface FastifyRequest { apiKey?: ApiKey }
}

/** Which key kinds open which routes: admin may also read; nobody but a write key sends events. */
const ALLOWED: Record<KeyKind, readonly KeyKind[]> = { write: ['write'], read: ['read', 'admin'], admin: ['admin'] }

/**
 * The key of a request: `Authorization: Bearer <key>`; for write keys also HTTP Basic with the
 * key as user name (how Segment's libraries send a write key), the `/k/{key}/…` path prefix, or
 * a `key` query parameter for clients that cannot set headers (SPEC §4). A `write_key` body
 * field is read later, once the body is parsed.
 */
export function presentedKey(req: FastifyRequest, access: KeyKind): string | undefined {
  const auth = req.headers.authorization
  const [scheme = '', value = ''] = auth?.split(' ', 2) ?? []
  if (scheme.toLowerCase() === 'bearer') return value.trim()
  // Read and admin keys only as Bearer: they open more than one app's data, and a URL ends up in logs.
  if (access !== 'write') return undefined
  if (scheme.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':', 1)[0]
  const inPath = (req.params as Record<string, unknown> | undefined)?.key
  if (typeof inPath === 'string') return inPath
  const q = (req.query as Record<string, unknown> | undefined)?.key
  return typeof q === 'string' ? q : undefined
}

/**
 * Registers the key checks. A key in a header or the query is checked before the body is read,
 * so a request with a wrong key costs no body parsing; write routes may carry `write_key` in
 * the body instead, checked once it is parsed. 401 without a valid key, 403 with the wrong kind.
 */
export function registerAccess(app: FastifyInstance, keys: KeyRing): void {
  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config.access ?? 'public'
    if (access === 'public') return
    const secret = presentedKey(req, access)
    if (secret === undefined && access === 'write') return // maybe in the body
    if (!await admit(req, reply, keys, access, secret)) return reply
  })
  app.addHook('preHandler', async (req, reply) => {
    if (req.routeOptions.config.access !== 'write' || req.apiKey !== undefined) return
    const body = req.body as Record<string, unknown> | null | undefined
    // `writeKey`: the escort platform's SDK spells its fields in camelCase.
    const inBody = body !== null && typeof body === 'object' ? body.write_key ?? body.writeKey : undefined
    const secret = typeof inBody === 'string' ? inBody : undefined
    if (!await admit(req, reply, keys, 'write', secret)) return reply
  })
}

/** Sets `req.apiKey`, or answers 401/403 and returns false (fastify: an async hook that replied returns the reply). */
async function admit(req: FastifyRequest, reply: FastifyReply, keys: KeyRing, access: KeyKind, secret: string | undefined): Promise<boolean> {
  if (secret === undefined || secret === '') {
    const where = access === 'write' ? ', HTTP Basic user name, a /k/<key>/ path prefix, a key query parameter or a write_key body field' : ''
    return deny(reply, 401, errors.UNAUTHENTICATED.code, `this route needs ${article(access)} ${access} key: Authorization: Bearer <key>${where}`)
  }
  const key = await keys.authenticate(secret)
  if (key === null) return deny(reply, 401, errors.UNAUTHENTICATED.code, 'the key is unknown or revoked')
  if (!ALLOWED[access].includes(key.kind)) {
    return deny(reply, 403, errors.FORBIDDEN.code, `${article(key.kind)} ${key.kind} key cannot call this route; it needs ${article(access)} ${access} key`)
  }
  req.apiKey = key
  return true
}

const article = (kind: KeyKind): string => (kind === 'admin' ? 'an' : 'a')

function deny(reply: FastifyReply, status: 401 | 403, code: string, message: string): false {
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="pulsegate"')
  void reply.code(status).send(errorBody(code, message))
  return false
}
