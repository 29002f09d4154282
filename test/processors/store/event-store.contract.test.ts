import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { createPartitions, applyRetention } from '../../../processors/maintenance/partitions-job.js'
import { createEventStore, type EventStore } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { listPartitions } from '../../../processors/store/partitions.js'
import { eventKey } from '../../../processors/store/rows.js'
import { backends } from '../../support/backends.js'
import { canonical } from '../../support/events.js'

const DAY = 86_400_000
const empty = { events: [], heartbeats: [], quarantine: [] }

describe.each(backends)('event store contract on %s', (_name, open) => {
  let db: Db
  let store: EventStore

  beforeEach(async () => {
    db = await open()
    await migrate(db)
    await createPartitions(db, { retentionDays: 90, heartbeatRetentionDays: 7 })
    store = createEventStore(db)
  })
  afterEach(async () => { await db.close() })

  it('applies migrations once and records them', async () => {
    expect(await migrate(db)).toEqual([])
    const res = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')
    expect(res.rows).toEqual([{ version: 1, name: 'events' }, { version: 2, name: 'jobs' }, { version: 3, name: 'access' }, { version: 4, name: 'devices' }, { version: 5, name: 'mqtt_persistence' }, { version: 6, name: 'presence' }, { version: 7, name: 'mqtt_accounts' }, { version: 8, name: 'stats' }])
  })

  it('stores an event with every column as given', async () => {
    const e = canonical({ sentAt: Date.UTC(2026, 10, 22, 1), skewMs: 1500, flags: ['clock_skew'], properties: { page: '/p', n: 1, nested: { a: [1, 'x'] } } })
    const fresh = await store.write({ ...empty, events: [e] })
    expect([...fresh]).toEqual([eventKey('app1', 'e1')])
    const { rows } = await db.query('SELECT * FROM events')
    expect(rows).toEqual([{
      app_id: 'app1', event_id: 'e1', event_name: 'page_view', event_time: new Date(e.eventTime),
      sent_at: new Date(Date.UTC(2026, 10, 22, 1)), received_at: new Date(e.receivedAt), occurred_at: new Date(e.occurredAt),
      skew_ms: 1500, source: 'http', schema_version: '1.0', store_id: 's1', device_id: null, user_id: 'u1',
      session_id: 'sess1', platform: 'h5', app_version: '1.2.3', channel: 'wechat', device_type: 'mobile',
      correlation_id: null, properties: { page: '/p', n: 1, nested: { a: [1, 'x'] } }, flags: ['clock_skew']
    }])
  })

  it('stores a repeated event once, even when its skew correction and receipt differ', async () => {
    const first = canonical({ eventId: 'dup' })
    const retry = canonical({ eventId: 'dup', receivedAt: first.receivedAt + 90_000, occurredAt: first.occurredAt + 90_000, skewMs: 90_000, sentAt: first.eventTime - 90_000 })
    expect((await store.write({ ...empty, events: [first] })).size).toBe(1)
    expect((await store.write({ ...empty, events: [retry] })).size).toBe(0)
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows).toEqual([{ n: 1 }])
  })

  it('writes the new events of a batch that also repeats stored ones, and only those', async () => {
    // On PostgreSQL the first write goes by COPY; the second makes the keys' COPY fail and falls back to the statement.
    const quote = canonical({ eventId: 'a"b,c\nd', properties: { text: 'comma, "quote"\nline', n: 1.5 }, flags: ['x"y', 'z\\w'] })
    expect((await store.write({ ...empty, events: [canonical({ eventId: 'k1' }), quote] })).size).toBe(2)
    const fresh = await store.write({ ...empty, events: [canonical({ eventId: 'k2' }), quote, canonical({ eventId: 'k3', userId: null, storeId: null })] })
    expect([...fresh].sort()).toEqual([eventKey('app1', 'k2'), eventKey('app1', 'k3')])
    const { rows } = await db.query<{ event_id: string; properties: unknown; flags: string[]; user_id: string | null }>('SELECT event_id, properties, flags, user_id FROM events ORDER BY event_id')
    expect(rows).toEqual([
      { event_id: 'a"b,c\nd', properties: { text: 'comma, "quote"\nline', n: 1.5 }, flags: ['x"y', 'z\\w'], user_id: 'u1' },
      { event_id: 'k1', properties: { page: '/home' }, flags: [], user_id: 'u1' },
      { event_id: 'k2', properties: { page: '/home' }, flags: [], user_id: 'u1' },
      { event_id: 'k3', properties: { page: '/home' }, flags: [], user_id: null }
    ])
  })

  it('keeps event ids unique per app, not globally', async () => {
    await store.write({ ...empty, events: [canonical({ appId: 'a', eventId: 'x' }), canonical({ appId: 'b', eventId: 'x' })] })
    const { rows } = await db.query('SELECT app_id, event_id FROM events ORDER BY app_id')
    expect(rows).toEqual([{ app_id: 'a', event_id: 'x' }, { app_id: 'b', event_id: 'x' }])
  })

  it('stores each key once under concurrent writers', async () => {
    const batches = Array.from({ length: 8 }, () => Array.from({ length: 50 }, (_, i) => canonical({ eventId: `c${i}` })))
    const results = await Promise.all(batches.map((events) => store.write({ ...empty, events })))
    expect(results.reduce((n, s) => n + s.size, 0)).toBe(50)
    const { rows } = await db.query<{ n: number; k: number }>('SELECT count(*)::int AS n, (SELECT count(*)::int FROM event_keys) AS k FROM events')
    expect(rows).toEqual([{ n: 50, k: 50 }])
  })

  it('creates a missing day partition on demand', async () => {
    const old = Date.now() - 200 * DAY
    await store.write({ ...empty, events: [canonical({ eventId: 'old', eventTime: old, occurredAt: old, receivedAt: Date.now() })] })
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows).toEqual([{ n: 1 }])
  })

  it('writes heartbeats and quarantine rows in the same commit', async () => {
    const at = Date.now()
    await store.write({
      events: [],
      heartbeats: [{ deviceId: 'd1', receivedAt: at, deviceTime: null, storeId: 's1', tableId: 't1', online: 1, latencyMs: 45, batteryLevel: 85, signalStrength: -60, source: 'mqtt' }],
      quarantine: [{ appId: 'app1', receivedAt: at, source: 'http', eventId: null, eventName: 'qr_scan', code: 'required_missing', path: '/properties/table_code', message: 'table_code is required', payload: { event_name: 'qr_scan' }, sentAt: at - 5000, schemaVersion: 'v1.0' }]
    })
    const hb = await db.query('SELECT device_id, store_id, table_id, online, latency_ms, battery_level, signal_strength, source FROM heartbeats')
    expect(hb.rows).toEqual([{ device_id: 'd1', store_id: 's1', table_id: 't1', online: 1, latency_ms: 45, battery_level: 85, signal_strength: -60, source: 'mqtt' }])
    const q = await db.query<{ sent_at: Date }>('SELECT app_id, event_name, code, path, payload, sent_at, schema_version FROM quarantine')
    expect(q.rows).toEqual([{ app_id: 'app1', event_name: 'qr_scan', code: 'required_missing', path: '/properties/table_code', payload: { event_name: 'qr_scan' }, sent_at: new Date(at - 5000), schema_version: 'v1.0' }])
  })

  it('stores NUL characters and lone surrogates as U+FFFD instead of failing the commit', async () => {
    const props = { a: 'x\u0000y', b: '\ud800', c: 'back\\u0000slash', d: '😀' }
    await store.write({ ...empty, events: [canonical({ properties: props })] })
    const { rows } = await db.query<{ properties: unknown }>('SELECT properties FROM events')
    expect(rows).toEqual([{ properties: { a: 'x\ufffdy', b: '\ufffd', c: 'back\\u0000slash', d: '😀' } }])
  })

  it('drops partitions, dedup keys and quarantine rows past retention', async () => {
    const now = Date.now()
    const old = now - 100 * DAY
    await store.write({ ...empty, events: [canonical({ eventId: 'old', eventTime: old, occurredAt: old }), canonical({ eventId: 'new' })] })
    const q = (receivedAt: number, eventId: string) => ({ appId: 'app1', receivedAt, source: 'http' as const, eventId, eventName: 'x', code: 'unplanned_event', path: '/event_name', message: 'm', payload: {}, sentAt: null, schemaVersion: null })
    await store.write({ ...empty, quarantine: [q(old, 'q-old'), q(now, 'q-new')] })
    const result = await applyRetention(db, { retentionDays: 90, heartbeatRetentionDays: 7 }, now)
    expect(result.keysDeleted).toBe(1)
    expect(result.quarantineDeleted).toBe(1)
    expect((await db.query('SELECT event_id FROM quarantine')).rows).toEqual([{ event_id: 'q-new' }])
    expect(result.dropped.some((p) => p.startsWith('events_p'))).toBe(true)
    const { rows } = await db.query('SELECT event_id FROM events')
    expect(rows).toEqual([{ event_id: 'new' }])
    const oldest = (await listPartitions(db, 'events'))[0]
    expect(oldest === undefined || oldest.fromMs + DAY > now - 90 * DAY).toBe(true)
  })
})
