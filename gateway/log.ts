import { pino, type DestinationStream, type Logger } from 'pino'

/** Personal fields the default plan masks (SPEC §5): never logged, even if code tries to. */
const PERSONAL = ['phone', 'mobile', 'id_number', 'id_card', 'address', 'real_name', 'token', 'password', 'latitude', 'longitude']

/**
 * Paths pino censors wherever they appear in a log record (top level and one level down):
 * secrets and personal data never reach the logs. Our own log lines carry ids and counts, not
 * payloads; this is the net under that rule.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'secret', '*.secret', 'adminKey', '*.adminKey', 'privacyHmacKey', '*.privacyHmacKey',
  'key', '*.key', 'write_key', '*.write_key', 'databaseUrl', '*.databaseUrl',
  ...PERSONAL.flatMap((f) => [f, `*.${f}`])
]

/** The gateway's logger; `destination` (stdout by default) lets a test read every line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'pulsegate' } }
  return destination === undefined ? pino(options) : pino(options, destination)
}
