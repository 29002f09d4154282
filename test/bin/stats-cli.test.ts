import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, localDate, localMidnight } from '../../processors/stats/periods.js'
import { cli, startGatewayProcess, TEST_ADMIN_KEY, type GatewayProc } from '../support/gateway-process.js'
import { fixtureDir } from '../support/helpers.js'

const TZ = 'Asia/Shanghai'

describe('pulsegate stats recompute, against the running gateway', () => {
  const files = fixtureDir('pulsegate-stats-cli-')
  let gw: GatewayProc
  let env: Record<string, string>
  const today = localDate(Date.now(), TZ)
  const days = [addDays(today, -3), addDays(today, -2), addDays(today, -1)]
  const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` }

  beforeAll(async () => {
    gw = await startGatewayProcess({ PULSEGATE_DATA_DIR: files.dir, PULSEGATE_TIMEZONE: TZ })
    env = { PULSEGATE_URL: gw.httpUrl, PULSEGATE_ADMIN_KEY: TEST_ADMIN_KEY }
    const key = await (await fetch(`${gw.httpUrl}/v1/admin/keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'write', app_id: 'web' }) })).json() as { secret: string }
    // Two page views on each of the three days before today, at noon local time.
    const events = days.flatMap((d, i) => [0, 1].map((j) => ({
      event_id: `cli-${i}-${j}`, event_name: 'page_view', user_id: `u${j}`, event_time: new Date(localMidnight(d, TZ) + 12 * 3_600_000 + j).toISOString(), properties: {}
    })))
    const res = await fetch(`${gw.httpUrl}/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) })
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    gw.child.kill('SIGTERM')
    await gw.exited
    files.remove()
  })

  it('recomputes the range, printing progress (a line per tenth off a terminal) and the periods done', async () => {
    const out = await cli(['stats', 'recompute', '--from', days[0] as string, '--to', days[2] as string], env)
    expect(out.code).toBe(0)
    const lines = out.out.trim().split('\n')
    expect(lines[0]).toMatch(/^\d+% \(1\/\d+\) day /)
    expect(lines.at(-1)).toMatch(new RegExp(`^recomputed \\d+ periods from ${days[0]} to ${days[2]} in [\\d.]+ s$`))
    const range = await (await fetch(`${gw.httpUrl}/v1/stats/range?from=${days[0]}&to=${days[2]}&metrics=pv,uv`, { headers: auth })).json() as { rows: Array<{ period: string; metrics: Record<string, number> }> }
    expect(range.rows).toEqual(days.map((d) => ({ period: d, metrics: { pv: 2, uv: 2 } })))
  })

  it('prints the gateway\'s progress lines with --json', async () => {
    const out = await cli(['stats', 'recompute', '--from', days[2] as string, '--to', days[2] as string, '--json'], env)
    expect(out.code).toBe(0)
    const lines = out.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toEqual({ total: expect.any(Number) })
    expect(lines[1]).toEqual({ done: 1, total: lines[0]?.total, period: 'day', start: days[2] })
    expect(lines.at(-1)).toMatchObject({ done: true, periods: lines[0]?.total })
  })

  it('refuses a range before retention, and a reversed one, naming the problem', async () => {
    expect(await cli(['stats', 'recompute', '--from', '2020-01-01', '--to', '2020-01-02'], env))
      .toEqual({ code: 1, out: expect.stringMatching(/^pulsegate stats: 400 PG_ERR_STATS_QUERY_INVALID: .*events before \d{4}-\d{2}-\d{2} have passed retention/) })
    expect((await cli(['stats', 'recompute', '--from', days[2] as string, '--to', days[0] as string], env)).out).toMatch(/is after to/)
    expect(await cli(['stats', 'recompute', '--from', days[0] as string], env)).toEqual({ code: 1, out: 'pulsegate stats: recompute needs --from and --to (YYYY-MM-DD)\n' })
    expect((await cli(['stats'], env)).code).toBe(2)
  })
})
