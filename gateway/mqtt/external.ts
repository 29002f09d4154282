import type { Config } from '../config/settings.js'
import type { GatewayServices } from '../services.js'

/** The gateway's session on an external broker (`PULSEGATE_MQTT_URL`). */
export interface ExternalBroker {
  /** The broker's URL without credentials, for the banner and logs. */
  url: string
  /** Stops taking new messages (shutdown has begun); unacknowledged ones are redelivered to the session later. */
  refuse(): void
  /** Unsubscribes nothing (the session persists), waits for messages being handled, disconnects. */
  close(): Promise<void>
}

/**
 * Subscribes to `devices/+/…` on an external broker with a persistent session and QoS 1, and
 * acknowledges each message only once it is durable.
 */
export async function connectExternalBroker(_svc: GatewayServices, _config: Config): Promise<ExternalBroker> {
  throw new Error('external broker mode is not built yet')
}
