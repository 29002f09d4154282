import { createServer, type AddressInfo } from 'node:net'
import { Aedes, type AedesOptions } from 'aedes'
import type { Db } from '../../../processors/db/db.js'
import { openPglite } from '../../../processors/db/pglite.js'
import { DbPersistence } from '../../../processors/mqtt-persistence/db-persistence.js'
import { migrate } from '../../../processors/store/migrate.js'

export interface RunningBroker {
  url: string
  broker: Aedes
  persistence: DbPersistence
  /** Ordered as the gateway's shutdown: listener, broker (clients), persistence, database. */
  stop(): Promise<void>
}

/**
 * An aedes broker whose persistence is the event store, on TCP port 0: on a PGlite data
 * directory it opens (and closes on stop), or on a database it is given (left open).
 */
export async function startBroker(store: string | Db, opts: Partial<AedesOptions> = {}): Promise<RunningBroker> {
  const db = typeof store === 'string' ? await openPglite(store) : store
  await migrate(db)
  const persistence = new DbPersistence({ db })
  const broker = await Aedes.createBroker({ ...opts, persistence })
  const server = createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stop = async (): Promise<void> => {
    const closed = new Promise((resolve) => server.close(resolve))
    await new Promise<void>((resolve) => broker.close(() => resolve()))
    await closed
    await persistence.destroy()
    if (typeof store === 'string') await db.close()
  }
  return { url, broker, persistence, stop }
}
