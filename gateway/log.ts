import { pino, type Logger } from 'pino'

/** Paths pino censors wherever they appear in a log record: secrets never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'password', '*.password', 'secret', '*.secret',
  'key', '*.key', 'write_key', '*.write_key', 'databaseUrl', '*.databaseUrl'
]

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'pulsegate' } })
}
