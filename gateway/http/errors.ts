import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errors, PulseGateError } from '../../processors/errors.js'

/** The JSON body of every error answer: `{ error: { code, message } }`, plus details where useful. */
export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: { code, message, ...extra } }
}

/**
 * Maps what fastify and our code throw onto coded answers. A malformed body says where it
 * broke; an oversized one names the limit; anything unexpected is a 500 without internals.
 */
export function handleError(err: FastifyError | PulseGateError, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof PulseGateError) {
    if (err.statusCode === 429) void reply.header('retry-after', '1')
    if (err.statusCode >= 500) req.log.error({ err }, 'request failed')
    void reply.code(err.statusCode).send(errorBody(err.code, err.message, { ...err.details }))
    return
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      void reply.code(400).send(errorBody(errors.BODY_INVALID.code, `${errors.BODY_INVALID.message}: ${err.message}`))
      return
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      void reply.code(413).send(errorBody(errors.BATCH_TOO_LARGE.code, `${errors.BATCH_TOO_LARGE.message}: the body is over max_batch_bytes`, { limit: 'max_batch_bytes', max: req.routeOptions.bodyLimit }))
      return
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      void reply.code(415).send(errorBody(errors.MEDIA_TYPE.code, errors.MEDIA_TYPE.message))
      return
  }
  if (typeof err.statusCode === 'number' && err.statusCode < 500) {
    void reply.code(err.statusCode).send(errorBody(errors.REQUEST.code, err.message, { cause: err.code }))
    return
  }
  req.log.error({ err }, 'unexpected error')
  void reply.code(500).send(errorBody(errors.INTERNAL.code, errors.INTERNAL.message))
}
