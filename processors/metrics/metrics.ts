import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { errors, PulseGateError } from '../errors.js'
import type { Source } from '../pipeline/event.js'

/**
 * PulseGate's metric handles, created once per gateway on its own registry (so tests can build
 * several gateways in one process). Names carry their unit; no label holds a device or user id.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `pulsegate_${name}`, help, labelNames, registers: [registry] })
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: `pulsegate_${name}`, help, labelNames, registers: [registry] })
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name: `pulsegate_${name}`, help, labelNames, buckets, registers: [registry] })
  return {
    registry,
    received: counter('events_received_total', 'Inputs received (events and heartbeats), before any check', ['source']),
    stored: counter('events_stored_total', 'Inputs committed to the store', ['source']),
    rejected: counter('events_rejected_total', 'Inputs refused, by reason (the client was told)', ['source', 'reason']),
    duplicate: counter('events_duplicate_total', 'Inputs already stored (answered as duplicates, not stored again)', ['source']),
    dropped: counter('events_dropped_total', 'Inputs deliberately not stored, by reason (coalesced heartbeats, opted-out users)', ['source', 'reason']),
    shed: counter('http_shed_total', 'HTTP requests refused with 429 before their body was read, by reason', ['reason']),
    inflightBytes: gauge('http_inflight_bytes', 'Bytes of ingest request bodies reserved by requests in flight', []),
    authFailures: counter('http_auth_failures_total', 'HTTP requests refused for a missing, unknown or wrong-kind key', ['status_code']),
    anomalies: counter('anomalies_total', 'Events flagged as anomalies, by flag', ['type']),
    clockSkew: histogram('clock_skew_seconds', 'Client clock error measured per batch (received_at - sent_at), absolute', ['source'], [0.1, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400]),
    intakeDepth: gauge('intake_queue_rows', 'Rows accepted and not yet committed', []),
    commitSeconds: histogram('store_commit_duration_seconds', 'Time of one group commit', [], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    commitRows: histogram('store_commit_rows', 'Rows written by one group commit', [], [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000]),
    httpSeconds: histogram('http_request_duration_seconds', 'HTTP request duration', ['route', 'method', 'status_code'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]),
    mqttMessages: counter('mqtt_messages_total', 'MQTT publishes received by the embedded broker or from the external one, by device topic kind (heartbeat, events, status, commands, other)', ['kind']),
    mqttConnections: gauge('mqtt_connections', 'MQTT clients connected to the embedded broker', []),
    mqttAuthFailures: counter('mqtt_auth_failures_total', 'MQTT CONNECTs refused, by reason (unknown_device, wrong_secret, disabled, anonymous, client_id, will_topic, unknown_account, revoked, error)', ['reason']),
    mqttAclDenials: counter('mqtt_acl_denials_total', 'MQTT publishes (connection closed) and subscriptions (granted 0x80) refused by the ACL', ['action']),
    mqttExternalConnected: gauge('mqtt_external_connected', 'Whether the session on the external broker (PULSEGATE_MQTT_URL) is connected: 1 or 0 (always 0 in embedded mode)', []),
    mqttExternalLastMessage: gauge('mqtt_external_last_message_timestamp_seconds', 'When the last device message came from the external broker (Unix time; 0 before the first)', []),
    mqttExternalReconnects: counter('mqtt_external_reconnects_total', 'Sessions on the external broker re-established after the connection was lost', []),
    mqttExternalUnacked: counter('mqtt_external_unacknowledged_total', 'Messages from the external broker left without PUBACK, by reason (not_committed, connection_lost, shutting_down); the broker redelivers them', ['reason']),
    devicesKnown: gauge('devices_known', 'Enabled registered devices and other devices presence knows, by store', ['store']),
    devicesOnline: gauge('devices_online', 'Devices online now, by store', ['store']),
    presenceTransitions: counter('presence_transitions_total', 'Device online/offline transitions, by reason', ['state', 'reason']),
    battery: histogram('device_battery_percent', 'Battery level devices report in their heartbeats, by store', ['store'], [5, 10, 20, 30, 50, 70, 90, 100]),
    signal: histogram('device_signal_dbm', 'Signal strength devices report in their heartbeats, by store (dBm, negative)', ['store'], [-110, -100, -90, -80, -70, -60, -50, 0]),
    heartbeatLatency: histogram('heartbeat_latency_seconds', 'Latency devices report in their heartbeats', [], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    jobRuns: counter('job_runs_total', 'Scheduled job runs, by job and result', ['job', 'status']),
    jobSeconds: histogram('job_duration_seconds', 'Scheduled job run time', ['job'], [0.01, 0.1, 1, 10, 60, 300, 900, 1800, 3600]),
    jobLastSuccess: gauge('job_last_success_timestamp_seconds', 'When each job last succeeded', ['job']),
    realtimeFailures: gauge('realtime_record_failures', 'Committed batches the realtime counters did not (fully) count since start: Redis unreachable, or a metric that could not read an event', []),
    statsRecomputeSeconds: histogram('stats_recompute_duration_seconds', 'Time to recompute one statistics period, by period kind', ['period'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]),
    statsLastComputed: gauge('stats_last_computed_timestamp_seconds', 'When a period of each kind was last recomputed (Unix time)', ['period']),
    statsDirtyDays: gauge('stats_dirty_days', 'Local days a late event touched after they were computed, waiting for the stats.dirty job', []),
    statsHourMismatches: gauge('stats_hour_sum_mismatches', 'Figures of the last checked day whose day value differs from the sum of its hours (additive metrics, every dimension value); should be 0', []),
    statsRealtimeMismatches: gauge('stats_realtime_mismatches', 'Realtime metrics of the last checked day that disagree with the computed figure (counts and sums exactly, unique counts beyond 2.5 %); should be 0', []),
    statsRealtimeDeviation: gauge('stats_realtime_deviation_ratio', 'Relative difference between the realtime counter and the computed figure of the last checked day, by catalog metric', ['metric']),
    statsCheckedDay: gauge('stats_checked_day_timestamp_seconds', 'Local midnight of the last day the statistics checks ran on (Unix time)', [])
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** How one input's events ended, for the ledger `received = stored + rejected + duplicate + dropped`. */
export interface Tally {
  received: number
  stored: number
  duplicate: number
  rejected: Record<string, number>
  dropped: Record<string, number>
}

export const emptyTally = (): Tally => ({ received: 0, stored: 0, duplicate: 0, rejected: {}, dropped: {} })

/** Ledger sources: where inputs came from, plus `replay` for quarantined inputs replayed by an admin. */
export type LedgerSource = Source | 'replay'

export function recordTally(m: Metrics, source: LedgerSource, t: Tally): void {
  if (t.received > 0) m.received.inc({ source }, t.received)
  if (t.stored > 0) m.stored.inc({ source }, t.stored)
  if (t.duplicate > 0) m.duplicate.inc({ source }, t.duplicate)
  for (const [reason, n] of Object.entries(t.rejected)) m.rejected.inc({ source, reason }, n)
  for (const [reason, n] of Object.entries(t.dropped)) m.dropped.inc({ source, reason }, n)
}

/** The ledger reason of an input dropped on purpose, from its answer code. */
export function dropReason(code: string): string {
  return code === 'opted_out' ? 'opt_out' : code
}

export function bump(bag: Record<string, number>, key: string, by = 1): void {
  bag[key] = (bag[key] ?? 0) + by
}

/**
 * Inputs the intake did not take (nothing was acknowledged), as a ledger tally: all of them
 * refused, with the reason the error gives, so `received = stored + rejected + …` still holds.
 */
export function refusedTally(received: number, err: unknown): Tally {
  return { ...emptyTally(), received, rejected: { [ledgerReason(err)]: received } }
}

export function ledgerReason(err: unknown): string {
  if (!(err instanceof PulseGateError)) return 'internal'
  if (err.code === errors.OVERLOADED.code) return 'overloaded'
  if (err.code === errors.SHUTTING_DOWN.code) return 'shutting_down'
  return 'store_unavailable'
}
