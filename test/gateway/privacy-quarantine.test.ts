import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml, stringify } from 'yaml'
import { buildGateway, type Gateway } from '../../gateway/build.js'
import { createLogger } from '../../gateway/log.js'
import { openPglite } from '../../processors/db/pglite.js'
import { DEFAULT_PLAN_PATH } from '../../processors/plan/compile.js'
import { keyFor, parseMetrics, sumOf, testConfig } from '../support/gateway.js'

const T = '2026-11-22T01:00:00.000Z'
const PHONE = '13812345678'
const ID_NUMBER = '110105199001011234'
const ADDRESS = '上海市浦东新区世纪大道100号'
const personal = { phone: PHONE, id_number: ID_NUMBER, address: ADDRESS, password: 'hunter2-secret' }

/** Every log line the gateway writes, as text. */
function capturedLog(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = []
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  return { log: createLogger('trace', sink), text: () => lines.join('') }
}

describe('privacy before anything is stored', () => {
  let gw: Gateway
  let key: string
  const logs = capturedLog()
  beforeAll(async () => {
    gw = await buildGateway(testConfig({ PULSEGATE_LOG_LEVEL: 'trace' }), { db: await openPglite(), log: logs.log })
    key = await keyFor(gw, 'write', 'shop')
  })
  afterAll(async () => { await gw.close() })
  const post = (body: unknown, url = '/v1/batch') =>
    gw.http.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: JSON.stringify(body) })

  it('masks phone, ID number and address and drops secrets in stored events', async () => {
    const res = await post({ events: [{ event_id: 'p1', event_name: 'form_submit', event_time: T, user_id: 'u1', properties: { form_id: 'signup', ...personal } }] })
    expect(res.json()).toMatchObject({ accepted: 1 })
    const { rows } = await gw.services.db.query("SELECT properties FROM events WHERE event_id = 'p1'")
    expect(rows).toEqual([{ properties: { form_id: 'signup', phone: '*******5678', id_number: '110105********1234', address: '上海市' } }])
  })

  it('masks quarantined payloads too', async () => {
    const res = await post({ events: [{ event_id: 'q1', event_name: 'no_such_event', event_time: T, user_id: 'u1', properties: { ...personal } }] })
    expect(res.json()).toMatchObject({ rejected: 1, results: [{ code: 'unplanned_event' }] })
    const { rows } = await gw.services.db.query("SELECT payload FROM quarantine WHERE event_id = 'q1'")
    expect(rows).toEqual([{ payload: { event_id: 'q1', event_name: 'no_such_event', event_time: T, user_id: 'u1', properties: { phone: '*******5678', id_number: '110105********1234', address: '上海市' } } }])
  })

  it('never writes the raw values to the log', async () => {
    await post('{"events": [ {"phone": "' + PHONE + '", ')
    expect(logs.text().length).toBeGreaterThan(0)
    for (const raw of [PHONE, ID_NUMBER, '浦东新区', 'hunter2-secret', key]) expect(logs.text()).not.toContain(raw)
  })

  it('drops and counts the events of opted-out users, answering each as dropped', async () => {
    const admin = await keyFor(gw, 'admin')
    const add = await gw.http.inject({ method: 'POST', url: '/v1/admin/opt-outs', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, payload: JSON.stringify({ app_id: 'shop', user_ids: ['quiet-user'] }) })
    expect(add.json()).toEqual({ added: 1, already: 0 })
    const res = await post({ events: [
      { event_id: 'o1', event_name: 'page_view', event_time: T, user_id: 'quiet-user', properties: { page: '/' } },
      { event_id: 'o2', event_name: 'page_view', event_time: T, user_id: 'loud-user', properties: { page: '/' } },
      { event_id: 'o3', event_name: 'no_such_event', event_time: T, user_id: 'quiet-user', phone: PHONE }
    ] })
    const dropped = { status: 'dropped', code: 'opted_out', path: '/user_id', message: 'the user opted out: the event is dropped, not stored' }
    expect(res.json()).toEqual({
      accepted: 1, duplicate: 0, rejected: 0, dropped: 2,
      results: [
        { index: 0, event_id: 'o1', ...dropped },
        { index: 1, event_id: 'o2', status: 'accepted' },
        // Invalid too, but nothing of an opted-out user is kept, not even in quarantine.
        { index: 2, event_id: 'o3', ...dropped }
      ]
    })
    const stored = await gw.services.db.query("SELECT event_id FROM events WHERE event_id IN ('o1', 'o2')")
    expect(stored.rows).toEqual([{ event_id: 'o2' }])
    const quarantined = await gw.services.db.query("SELECT 1 FROM quarantine WHERE event_id IN ('o1', 'o3')")
    expect(quarantined.rows).toEqual([])
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(sumOf(m, 'pulsegate_events_dropped_total', 'reason="opt_out"')).toBe(2)
    const list = await gw.http.inject({ method: 'GET', url: '/v1/admin/opt-outs?app_id=shop', headers: { authorization: `Bearer ${admin}` } })
    expect(list.json()).toEqual({ opt_outs: [{ app_id: 'shop', user_id: 'quiet-user', created_at: expect.any(String) }] })
    const audit = await gw.services.db.query<{ action: string; details: unknown }>("SELECT action, details FROM audit_log WHERE action LIKE 'opt_out%'")
    expect(audit.rows).toEqual([{ action: 'opt_out.add', details: { users: 1, added: 1 } }])
  })
})

describe('hashed identifiers', () => {
  it('stores an HMAC of user_id when the plan says hash, the same for the same user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'))
    const plan = parseYaml(readFileSync(DEFAULT_PLAN_PATH, 'utf8')) as { privacy: Record<string, string> }
    plan.privacy.user_id = 'hash'
    writeFileSync(join(dir, 'plan.yaml'), stringify(plan))
    const gw = await buildGateway(testConfig({ PULSEGATE_TRACKING_PLAN: join(dir, 'plan.yaml'), PULSEGATE_PRIVACY_HMAC_KEY: 'a-key-of-at-least-16-chars' }), { db: await openPglite() })
    const key = await keyFor(gw, 'write', 'shop')
    const events = ['h1', 'h2'].map((id) => ({ event_id: id, event_name: 'page_view', event_time: T, user_id: 'alice', properties: { page: '/' } }))
    await gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: JSON.stringify({ events }) })
    const { rows } = await gw.services.db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM events')
    expect(rows).toEqual([{ user_id: expect.stringMatching(/^h:[A-Za-z0-9_-]{32}$/) }])
    await gw.close()
  })
})

describe('quarantine: list and replay after a plan fix', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsegate-replay-'))
  const planDir = mkdtempSync(join(tmpdir(), 'plan-'))
  const planFile = join(planDir, 'plan.yaml')
  const base = parseYaml(readFileSync(DEFAULT_PLAN_PATH, 'utf8')) as { events: Record<string, unknown> }
  const start = (events: Record<string, unknown>) => {
    writeFileSync(planFile, stringify({ ...base, events }))
    return buildGateway(testConfig({ PULSEGATE_DATA_DIR: dataDir, PULSEGATE_TRACKING_PLAN: planFile, PULSEGATE_ADMIN_KEY: 'replay-admin-key-123' }))
  }
  const table = { table_transfer: { description: 'move a session to another table', properties: { session_id: { type: 'string', required: true }, to_table: { type: 'string', required: true } } } }
  const SENT = new Date().toISOString()
  const transfer = (id: string, extra: Record<string, unknown> = {}) => ({ event_id: id, event_name: 'table_transfer', event_time: T, session_id: 's1', to_table: 'T9', phone: PHONE, ...extra })

  it('keeps refused events, lists them by filter, and stores them exactly once after the plan is fixed', async () => {
    let gw = await start(base.events)
    let admin = { authorization: 'Bearer replay-admin-key-123', 'content-type': 'application/json' }
    const write = await keyFor(gw, 'write', 'shop')
    const read = await keyFor(gw, 'read', 'shop')
    const otherRead = await keyFor(gw, 'read', 'other')
    const res = await gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${write}` }, payload: JSON.stringify({ sent_at: SENT, events: [transfer('t1'), transfer('t2'), transfer('t3', { to_table: 5 })] }) })
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 3 })

    const list = await gw.http.inject({ method: 'GET', url: '/v1/quarantine?code=unplanned_event&limit=2', headers: { authorization: `Bearer ${read}` } })
    expect(list.statusCode).toBe(200)
    const page = list.json()
    expect(page.items.map((i: { event_id: string }) => i.event_id)).toEqual(['t1', 't2'])
    expect(page.items[0]).toEqual({
      id: expect.any(Number), app_id: 'shop', received_at: expect.any(String), source: 'http', event_id: 't1', event_name: 'table_transfer',
      code: 'unplanned_event', path: '/event_name', message: 'table_transfer is not in the tracking plan',
      payload: { ...transfer('t1'), phone: '*******5678' }, sent_at: SENT, schema_version: null, replayed_at: null, replay_event_id: null
    })
    const next = await gw.http.inject({ method: 'GET', url: `/v1/quarantine?code=unplanned_event&after_id=${page.next_after_id}`, headers: { authorization: `Bearer ${read}` } })
    expect(next.json().items.map((i: { event_id: string }) => i.event_id)).toEqual(['t3'])
    const foreign = await gw.http.inject({ method: 'GET', url: '/v1/quarantine?app_id=shop', headers: { authorization: `Bearer ${otherRead}` } })
    expect(foreign.json().items).toEqual([])
    await gw.close()

    gw = await start({ ...base.events, ...table })
    admin = { authorization: 'Bearer replay-admin-key-123', 'content-type': 'application/json' }
    const replay = await gw.http.inject({ method: 'POST', url: '/v1/admin/quarantine/replay', headers: admin, payload: JSON.stringify({ app_id: 'shop', code: 'unplanned_event' }) })
    expect(replay.json()).toEqual({
      accepted: 2, duplicate: 0, rejected: 1, dropped: 0,
      results: [
        { id: expect.any(Number), status: 'accepted', event_id: 't1' },
        { id: expect.any(Number), status: 'accepted', event_id: 't2' },
        { id: expect.any(Number), status: 'rejected', event_id: 't3', code: 'type_mismatch', message: 'must be string' }
      ]
    })
    const stored = await gw.services.db.query("SELECT app_id, event_id, flags, properties FROM events WHERE event_name = 'table_transfer' ORDER BY event_id")
    expect(stored.rows).toEqual(['t1', 't2'].map((id) => ({ app_id: 'shop', event_id: id, flags: ['replayed'], properties: { to_table: 'T9', phone: '*******5678' } })))

    const again = await gw.http.inject({ method: 'POST', url: '/v1/admin/quarantine/replay', headers: admin, payload: JSON.stringify({}) })
    expect(again.json()).toMatchObject({ accepted: 0, duplicate: 0, rejected: 1 })
    const rows = await gw.services.db.query<{ event_id: string; code: string; replayed: boolean }>('SELECT event_id, code, replayed_at IS NOT NULL AS replayed FROM quarantine ORDER BY id')
    expect(rows.rows).toEqual([{ event_id: 't1', code: 'unplanned_event', replayed: true }, { event_id: 't2', code: 'unplanned_event', replayed: true }, { event_id: 't3', code: 'type_mismatch', replayed: false }])
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(sumOf(m, 'pulsegate_events_stored_total', 'source="replay"')).toBe(2)
    const audit = await gw.services.db.query<{ actor: string; details: unknown }>("SELECT actor, details FROM audit_log WHERE action = 'quarantine.replay' ORDER BY id")
    expect(audit.rows).toEqual([
      { actor: 'env-admin', details: { rows: 3, accepted: 2, duplicate: 0, rejected: 1, dropped: 0 } },
      { actor: 'env-admin', details: { rows: 1, accepted: 0, duplicate: 0, rejected: 1, dropped: 0 } }
    ])
    await gw.close()
  })
})

describe('quarantine replay edge cases', () => {
  it('refuses again a version no plan knows, and drops an opted-out user hashed before quarantine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'))
    const plan = parseYaml(readFileSync(DEFAULT_PLAN_PATH, 'utf8')) as { privacy: Record<string, string> }
    plan.privacy.user_id = 'hash'
    writeFileSync(join(dir, 'plan.yaml'), stringify(plan))
    const gw = await buildGateway(testConfig({ PULSEGATE_TRACKING_PLAN: join(dir, 'plan.yaml') }), { db: await openPglite() })
    const write = await keyFor(gw, 'write', 'shop')
    const admin = { authorization: `Bearer ${await keyFor(gw, 'admin')}`, 'content-type': 'application/json' }
    const post = (body: unknown) => gw.http.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${write}` }, payload: JSON.stringify(body) })
    const now = new Date().toISOString()
    await post({ schema_version: 'v9.0', events: [{ event_id: 'v9', event_name: 'page_view', event_time: now, user_id: 'alice', properties: { page: '/' } }] })
    await post({ events: [{ event_id: 'quiet', event_name: 'no_such_event', event_time: now, user_id: 'carol' }] })
    const stored = await gw.services.db.query<{ user_id: string }>("SELECT payload->>'user_id' AS user_id FROM quarantine WHERE event_id = 'quiet'")
    expect(stored.rows[0]?.user_id).toMatch(/^h:/)

    // carol opts out after her event was quarantined (hashed): the replay drops it.
    await gw.http.inject({ method: 'POST', url: '/v1/admin/opt-outs', headers: admin, payload: JSON.stringify({ app_id: 'shop', user_ids: ['carol'] }) })
    const replay = await gw.http.inject({ method: 'POST', url: '/v1/admin/quarantine/replay', headers: admin, payload: JSON.stringify({}) })
    expect(replay.json()).toEqual({
      accepted: 0, duplicate: 0, rejected: 1, dropped: 1,
      results: [
        { id: expect.any(Number), status: 'rejected', event_id: 'v9', code: 'unsupported_schema_version', message: expect.stringContaining('v9.0') },
        { id: expect.any(Number), status: 'dropped', event_id: 'quiet', code: 'opted_out', message: 'the user opted out: the event is dropped, not stored' }
      ]
    })
    const m = parseMetrics((await gw.http.inject({ method: 'GET', url: '/metrics' })).body)
    expect(m.get('pulsegate_events_dropped_total{source="replay",reason="opt_out"}')).toBe(1)
    expect((await gw.services.db.query('SELECT 1 FROM events')).rows).toEqual([])
    await gw.close()
  })
})
