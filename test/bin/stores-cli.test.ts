import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { fixtureDir } from '../support/helpers.js'

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z'
const WEEKDAYS = { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0', duration: 'PT9H', tzid: 'Europe/Berlin' }
const SATURDAY = { rrule: 'FREQ=WEEKLY;BYDAY=SA;BYHOUR=10;BYMINUTE=0;BYSECOND=0', duration: 'PT4H', tzid: 'Europe/Berlin' }

describe('pulsegate stores, against the running gateway', () => {
  const files = fixtureDir('pulsegate-stores-cli-')
  let gw: GatewayProc
  let env: Record<string, string>
  beforeAll(async () => {
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: files.dir, PULSEGATE_TIMEZONE: 'Asia/Shanghai' })
    env = { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY }
  })
  afterAll(async () => {
    gw.child.kill('SIGTERM')
    await gw.exited
    files.remove()
  })

  const store = async (id: string) => (await fetch(`${gw.httpUrl}/v1/admin/stores/${id}`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).json() as Promise<Record<string, unknown>>

  it('adds a store with opening hours, one --tzid for every entry', async () => {
    const added = await cli(['stores', 'add', 'berlin-1', '--name', 'Mitte', '--time-zone', 'Europe/Berlin',
      '--rrule', WEEKDAYS.rrule, '--duration', WEEKDAYS.duration, '--rrule', SATURDAY.rrule, '--duration', SATURDAY.duration, '--tzid', 'Europe/Berlin'], env)
    expect(added).toEqual({ code: 0, out: `created store berlin-1 (Mitte), time zone Europe/Berlin, open ${WEEKDAYS.rrule} for PT9H (Europe/Berlin); ${SATURDAY.rrule} for PT4H (Europe/Berlin)\n` })
    expect(await store('berlin-1')).toMatchObject({ store_id: 'berlin-1', name: 'Mitte', time_zone: 'Europe/Berlin', opening_hours: [WEEKDAYS, SATURDAY] })
    // Without opening hours or a zone: always open, in the gateway's PULSEGATE_TIMEZONE.
    expect(await cli(['stores', 'add', 'plain-1'], env)).toEqual({ code: 0, out: 'created store plain-1, time zone Asia/Shanghai, always open\n' })
  })

  it('refuses to replace a store unless --replace, which sets every field', async () => {
    expect(await cli(['stores', 'add', 'berlin-1', '--name', 'Other'], env))
      .toEqual({ code: 1, out: 'pulsegate stores: store berlin-1 exists; add --replace to replace it (every field: what you leave out returns to its default)\n' })
    const replaced = await cli(['stores', 'add', 'berlin-1', '--replace', '--json', '--time-zone', 'Europe/Berlin', '--rrule', WEEKDAYS.rrule, '--duration', 'PT10H'], env)
    expect(replaced.code).toBe(0)
    expect(JSON.parse(replaced.out)).toEqual({
      store_id: 'berlin-1', name: '', time_zone: 'Europe/Berlin', opening_hours: [{ ...WEEKDAYS, duration: 'PT10H' }],
      created_at: expect.stringMatching(new RegExp(`^${ISO}$`)), updated_at: expect.stringMatching(new RegExp(`^${ISO}$`))
    })
  })

  it('lists stores as a table and as JSON', async () => {
    const listed = await cli(['stores', 'list'], env)
    expect(listed.code).toBe(0)
    const lines = listed.out.trim().split('\n')
    expect(lines[0]).toMatch(/^STORE\s+NAME\s+TIME ZONE\s+OPENING HOURS\s+UPDATED$/)
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^berlin-1\\s+-\\s+Europe/Berlin\\s+${WEEKDAYS.rrule} for PT10H \\(Europe/Berlin\\)\\s+${ISO}$`)),
      expect.stringMatching(new RegExp(`^plain-1\\s+-\\s+Asia/Shanghai\\s+always open\\s+${ISO}$`))
    ])
    const json = await cli(['stores', 'list', '--json'], env)
    expect((JSON.parse(json.out) as Array<{ store_id: string }>).map((s) => s.store_id)).toEqual(['berlin-1', 'plain-1'])
  })

  it('shows whether a store is open at a time and when that changes, across the DST switch', async () => {
    // Monday 1 April 2024, the first weekday after Berlin's switch to summer time: 09:00 local is 07:00Z.
    const shown = await cli(['stores', 'show', 'berlin-1', '--at', '2024-04-01T08:30:00+02:00'], env)
    expect(shown).toEqual({
      code: 0,
      out: `store berlin-1, time zone Europe/Berlin, open ${WEEKDAYS.rrule} for PT10H (Europe/Berlin)\nclosed at 2024-04-01T06:30:00.000Z; opens at 2024-04-01T07:00:00.000Z\n`
    })
    const json = await cli(['stores', 'show', 'berlin-1', '--at', '2024-04-01T10:00:00+02:00', '--json'], env)
    expect(JSON.parse(json.out)).toMatchObject({ status: { at: '2024-04-01T08:00:00.000Z', open: true, next_change: { at: '2024-04-01T17:00:00.000Z', open: false } } })
    expect(await cli(['stores', 'show', 'berlin-1', '--at', '2024-04-01T10:00:00'], env))
      .toEqual({ code: 1, out: 'pulsegate stores: 400 PG_ERR_REQUEST: at must be an ISO 8601 time with a zone, such as 2026-03-29T09:00:00+02:00\n' })
  })

  it('passes on what the gateway refuses in opening hours, naming the entry', async () => {
    expect(await cli(['stores', 'add', 'bad-1', '--rrule', 'FREQ=DAILY;BYHOUR=24', '--duration', 'PT1H', '--tzid', 'UTC'], env)).toEqual({
      code: 1, out: 'pulsegate stores: 400 PG_ERR_OPENING_HOURS_INVALID: The opening hours are invalid: opening_hours[0].rrule: BYHOUR=24 is out of range (0 to 23)\n'
    })
    expect(await store('bad-1')).toMatchObject({ error: { code: 'PG_ERR_NO_SUCH_STORE' } })
  })

  it('removes a store, and says so when there is none', async () => {
    expect(await cli(['stores', 'remove', 'plain-1'], env)).toEqual({ code: 0, out: 'store plain-1 removed; its devices stay registered, with no opening hours (always open)\n' })
    expect(await cli(['stores', 'remove', 'plain-1'], env)).toEqual({ code: 1, out: 'pulsegate stores: 404 PG_ERR_NO_SUCH_STORE: no store plain-1\n' })
  })

  it('explains usage mistakes', async () => {
    const usage = async (args: string[]) => {
      const r = await cli(['stores', ...args], env)
      return [r.code, r.out.split('\n')[0]]
    }
    expect(await usage(['add', 's', '--rrule', 'FREQ=DAILY'])).toEqual([2, 'pulsegate stores: each --rrule needs its --duration (1 --rrule, 0 --duration)'])
    expect(await usage(['add', 's', '--rrule', 'FREQ=DAILY', '--duration', 'PT1H'])).toEqual([2, 'pulsegate stores: opening hours need a zone: --tzid, or --time-zone for all entries'])
    expect(await usage(['add', 's', '--rrule', 'A', '--duration', 'B', '--rrule', 'C', '--duration', 'D', '--tzid', 'UTC', '--tzid', 'UTC', '--tzid', 'UTC']))
      .toEqual([2, 'pulsegate stores: give --tzid once for all entries or once per entry (2 entries, 3 --tzid)'])
    expect(await usage(['add', 's', '--tzid', 'UTC'])).toEqual([2, 'pulsegate stores: --tzid belongs to an opening-hours entry: give --rrule and --duration too'])
    expect(await usage(['add'])).toEqual([2, 'Usage:'])
    expect(await usage(['list', '--colour', 'red'])).toEqual([2, expect.stringContaining("Unknown option '--colour'")])
    expect(await cli(['stores', 'list'], { ...env, PULSEGATE_ADMIN_KEY: '' }))
      .toEqual({ code: 1, out: 'pulsegate stores: set PULSEGATE_ADMIN_KEY to the admin key (printed at first start, or the one you configured)\n' })
  })
})
