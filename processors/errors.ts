/**
 * Every error PulseGate reports, in one registry (after fastify's lib/errors.js). A code is
 * stable: clients and runbooks match on it. docs/errors.md holds the `Code | Meaning | What to
 * do` table, and test/docs/docs-sync.test.ts fails when a code is missing there.
 */
export interface CodedErrorInfo {
  code: string
  statusCode: number
  message: string
}

export class PulseGateError extends Error {
  readonly code: string
  readonly statusCode: number
  /** Extra fields of the HTTP error answer (`limit`, `max`, `path`). */
  readonly details: Readonly<Record<string, unknown>>
  constructor(info: CodedErrorInfo, detail?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(detail === undefined ? info.message : `${info.message}: ${detail}`, options)
    this.name = 'PulseGateError'
    this.code = info.code
    this.statusCode = info.statusCode
    this.details = options?.details ?? {}
  }
}

function def(code: string, statusCode: number, message: string): CodedErrorInfo {
  return Object.freeze({ code, statusCode, message })
}

export const errors = Object.freeze({
  CONFIG_INVALID: def('PG_ERR_CONFIG_INVALID', 500, 'Invalid configuration'),
  DATA_DIR_LOCKED: def('PG_ERR_DATA_DIR_LOCKED', 500, 'The data directory is in use by another process'),
  PLAN_INVALID: def('PG_ERR_PLAN_INVALID', 500, 'The tracking plan is invalid'),
  CATALOG_INVALID: def('PG_ERR_CATALOG_INVALID', 500, 'The metric catalog is invalid'),
  NO_SUCH_METRIC: def('PG_ERR_NO_SUCH_METRIC', 404, 'The metric catalog has no metric of that name'),
  STATS_QUERY_INVALID: def('PG_ERR_STATS_QUERY_INVALID', 400, 'The statistics query is invalid'),
  BODY_INVALID: def('PG_ERR_BODY_INVALID', 400, 'The request body cannot be read'),
  BATCH_INVALID: def('PG_ERR_BATCH_INVALID', 400, 'The request body is not a batch'),
  BATCH_TOO_LARGE: def('PG_ERR_BATCH_TOO_LARGE', 413, 'The batch is over a limit'),
  OVERLOADED: def('PG_ERR_OVERLOADED', 429, 'The gateway is shedding load; retry after the given delay'),
  STORE_UNAVAILABLE: def('PG_ERR_STORE_UNAVAILABLE', 503, 'The event store could not commit; nothing was acknowledged'),
  SHUTTING_DOWN: def('PG_ERR_SHUTTING_DOWN', 503, 'The gateway is shutting down'),
  UNAUTHENTICATED: def('PG_ERR_UNAUTHENTICATED', 401, 'A valid key is required'),
  FORBIDDEN: def('PG_ERR_FORBIDDEN', 403, 'The key is of the wrong kind for this route'),
  RATE_LIMITED: def('PG_ERR_RATE_LIMITED', 429, 'Too many requests for this key; retry after the given delay'),
  NO_SUCH_KEY: def('PG_ERR_NO_SUCH_KEY', 404, 'No key has that id'),
  NOT_OPTED_OUT: def('PG_ERR_NOT_OPTED_OUT', 404, 'That user is not on the opt-out list'),
  NO_SUCH_DEVICE: def('PG_ERR_NO_SUCH_DEVICE', 404, 'No device has that id'),
  DEVICE_EXISTS: def('PG_ERR_DEVICE_EXISTS', 409, 'A device with that id already exists'),
  DEVICE_INVALID: def('PG_ERR_DEVICE_INVALID', 400, 'The device is invalid'),
  CSV_INVALID: def('PG_ERR_CSV_INVALID', 400, 'The CSV cannot be imported; nothing was imported'),
  NO_SUCH_STORE: def('PG_ERR_NO_SUCH_STORE', 404, 'No store has that id'),
  OPENING_HOURS_INVALID: def('PG_ERR_OPENING_HOURS_INVALID', 400, 'The opening hours are invalid'),
  STORE_INVALID: def('PG_ERR_STORE_INVALID', 400, 'The store is invalid'),
  NO_SUCH_ACCOUNT: def('PG_ERR_NO_SUCH_ACCOUNT', 404, 'No MQTT service account has that name'),
  ACCOUNT_EXISTS: def('PG_ERR_ACCOUNT_EXISTS', 409, 'An MQTT service account with that name already exists'),
  ACCOUNT_INVALID: def('PG_ERR_ACCOUNT_INVALID', 400, 'The MQTT service account is invalid'),
  NOT_FOUND: def('PG_ERR_NOT_FOUND', 404, 'No such route'),
  MEDIA_TYPE: def('PG_ERR_MEDIA_TYPE', 415, 'Send application/json or text/plain'),
  ENCODING: def('PG_ERR_ENCODING', 415, 'Unsupported Content-Encoding'),
  REQUEST: def('PG_ERR_REQUEST', 400, 'The request is malformed'),
  INTERNAL: def('PG_ERR_INTERNAL', 500, 'Internal error')
})

export type ErrorName = keyof typeof errors
