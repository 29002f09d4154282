/** What the connections benchmark says to its fleet and aedes worker processes over IPC. */
import type { Latency } from './stats.js'

/** One device of a fleet worker's share: its number, and its secret on the gateway (none on bare aedes). */
export interface FleetDevice { n: number; secret?: string }

export type FleetRequest =
  /**
   * Connects the share `perSecond` clients a second, each starting to heartbeat every
   * `intervalMs` (±10 % jitter, first one at a random point of the first interval) once its
   * CONNACK is in; answers when every CONNECT got its CONNACK or failed.
   */
  | { type: 'connect'; url: string; devices: FleetDevice[]; perSecond: number; intervalMs: number; qos: 0 | 1 }
  /** Counters since the connect: the window is the difference of two reads. */
  | { type: 'count' }
  | { type: 'disconnect' }

export type FleetReply =
  | { type: 'connected'; connected: number; failed: number; firstError?: string; ms: number; latency: Latency }
  | { type: 'counts'; connected: number; sent: number; acked: number; failed: number }
  | { type: 'disconnected' }

export type BrokerRequest = { type: 'start' } | { type: 'memory' }

export type BrokerReply =
  | { type: 'listening'; url: string }
  /** V8 heap of the broker process (`v8.getHeapStatistics()` and `process.memoryUsage().external`, what prom-client reports for the gateway) and its client count. */
  | { type: 'memory'; heapUsed: number; heapTotal: number; external: number; clients: number }
