import { adminClient, CliError, parseCommandArgs, runSubcommand, type AdminClient } from './admin-client.js'

const USAGE = `Usage:
  pulsegate stats recompute --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--json]

Recomputes the statistics of every local day from --from to --to (both included, in
PULSEGATE_TIMEZONE), then the weeks and months they touch that have ended, then the running
totals. Idempotent: running it twice leaves the same figures. Days whose events have passed
retention are refused. A progress bar shows on a terminal; --json prints the gateway's
progress lines as they come.

Talks to the running gateway: PULSEGATE_URL (default http://127.0.0.1:$PULSEGATE_HTTP_PORT)
with PULSEGATE_ADMIN_KEY.`

const OPTIONS = { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } } as const

type Line = { total?: number; done?: number | true; period?: string; start?: string; periods?: number; seconds?: number; error?: string }

/** `pulsegate stats …`: returns the exit code (0 done, 1 refused, failed or unreachable, 2 usage). */
export async function statsCommand(args: string[], out: NodeJS.WritableStream & { isTTY?: boolean }, client?: AdminClient): Promise<number> {
  const parsed = parseCommandArgs('stats', args, OPTIONS, USAGE, out)
  if (parsed === undefined) return 2
  const { values, positionals: [sub] } = parsed
  return runSubcommand('stats', USAGE, out, async () => {
    if (sub !== 'recompute') return false
    if (values.from === undefined || values.to === undefined) throw new CliError('recompute needs --from and --to (YYYY-MM-DD)')
    await recompute(client ?? adminClient(), values.from, values.to, values.json === true, out)
    return true
  })
}

async function recompute(client: AdminClient, from: string, to: string, json: boolean, out: NodeJS.WritableStream & { isTTY?: boolean }): Promise<void> {
  const bar = progressBar(out)
  let failure: string | undefined
  let finished: Line | undefined
  await client.stream('/v1/admin/stats/recompute', { from, to }, (raw) => {
    const line = raw as Line
    if (json) out.write(JSON.stringify(line) + '\n')
    if (line.error !== undefined) failure = line.error
    else if (line.done === true) finished = line
    else if (typeof line.done === 'number' && line.total !== undefined && !json) bar(line.done, line.total, `${line.period ?? ''} ${line.start ?? ''}`)
  })
  bar.end()
  if (failure !== undefined) throw new CliError(`recompute stopped: ${failure}`)
  if (finished === undefined) throw new CliError('the gateway closed the answer before the recompute finished; see its log')
  if (!json) out.write(`recomputed ${finished.periods ?? 0} periods from ${from} to ${to} in ${finished.seconds ?? 0} s\n`)
}

const WIDTH = 30

/** A bar redrawn in place on a terminal; elsewhere (pipes, CI logs) a line per tenth of the work. */
function progressBar(out: NodeJS.WritableStream & { isTTY?: boolean }): ((done: number, total: number, label: string) => void) & { end(): void } {
  let lastTenth = -1
  let drawn = false
  const draw = (done: number, total: number, label: string): void => {
    const share = total === 0 ? 1 : done / total
    if (out.isTTY === true) {
      const filled = Math.round(share * WIDTH)
      out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${label}\x1b[K`)
      drawn = true
      return
    }
    const tenth = Math.floor(share * 10)
    if (tenth !== lastTenth) {
      lastTenth = tenth
      out.write(`${Math.round(share * 100)}% (${done}/${total}) ${label}\n`)
    }
  }
  return Object.assign(draw, { end: () => { if (drawn) out.write('\n') } })
}
