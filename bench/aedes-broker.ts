/**
 * The connections benchmark's baseline: a bare aedes broker (default in-memory persistence, no
 * authentication, no hooks) on a loopback port picked by the OS. Its own process, like the
 * gateway, so its memory and CPU are read from /proc alone. Forked by connections.ts; not run
 * by hand.
 */
import { once } from 'node:events'
import { createServer, type AddressInfo, type Server } from 'node:net'
import v8 from 'node:v8'
import { Aedes } from 'aedes'
import type { BrokerReply, BrokerRequest } from './lib/connections-messages.js'
import { serveWorker } from './lib/worker-ipc.js'

let broker: Aedes | undefined
let server: Server | undefined

async function start(): Promise<BrokerReply> {
  broker = await Aedes.createBroker()
  server = createServer(broker.handle)
  // The default backlog (511) would drop SYNs of a connect burst; the fleet connects gradually anyway.
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 })
  await once(server, 'listening')
  return { type: 'listening', url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function memory(): BrokerReply {
  const heap = v8.getHeapStatistics()
  const external = process.memoryUsage().external
  return { type: 'memory', heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size, external, clients: broker?.connectedClients ?? 0 }
}

serveWorker<BrokerRequest, BrokerReply>(async (msg) => (msg.type === 'start' ? start() : memory()))
