/**
 * Web and H5 sessions (seeds 000 §4.1.1, 001, 002 §4.2.1) over PulseGate's own routes: a
 * user arrives, reads 2 to 7 pages for 5 s to 3 min each; every page is a `page_view` on
 * entering and a `page_leave` with its `duration` in seconds (the plan's AV source) on leaving.
 * Half the sessions use a batching SDK (`/v1/batch`, the leave of a page and the view of the
 * next in one request), half send each event as it happens (`/v1/track`).
 */
import { mistype, draft, type Draft } from './draft.js'
import type { Flow } from './flow.js'
import { idOf, poissonSource, userOf, type Source, type SourceContext } from './source.js'
import { minutes, seconds } from './time.js'
import { v1Wire } from './wire.js'

export const WEB_APP = 'web'

/** Nominal mean gap between two sessions of one user. */
const SESSION_EVERY_MS = minutes(60)

const PAGES = [
  ['/', '首页'], ['/tables', '球台'], ['/reserve', '预约'], ['/member', '会员中心'], ['/orders', '我的订单'], ['/help', '帮助']
] as const

export const webSource = (ctx: SourceContext, startAt: number): Source =>
  poissonSource('web', ctx, startAt, SESSION_EVERY_MS, (at) => session(ctx, at))

function session(ctx: SourceContext, start: number): Flow {
  const { rng, pace } = ctx
  const batching = rng.chance(0.5)
  const fields = { user_id: userOf(ctx), session_id: idOf(ctx, 'ws'), platform: rng.pick(['h5', 'web']) }
  const sends: Draft[][] = []
  let t = start
  let referrer = ''
  let leave: Draft | undefined
  for (let n = rng.int(2, 7); n > 0; n--) {
    const [page, title] = rng.pick(PAGES)
    const view = draft('page_view', t, {
      id: idOf(ctx, 'ev'), fields, props: { page, page_title: title, referrer, is_first_session: sends.length === 0 }, breaks: [mistype('is_first_session', 'yes')]
    })
    sends.push(...(batching && leave !== undefined ? [[leave, view]] : leave === undefined ? [[view]] : [[leave], [view]]))
    const dwell = rng.int(5, 180)
    t += pace.span(seconds(dwell))
    leave = draft('page_leave', t, { id: idOf(ctx, 'ev'), fields, props: { page, duration: dwell }, breaks: [mistype('duration', String(dwell))] })
    referrer = page
  }
  if (leave !== undefined) sends.push([leave])
  return { app: WEB_APP, route: batching ? '/v1/batch' : '/v1/track', wire: v1Wire, sends }
}
