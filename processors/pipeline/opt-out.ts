import type { Step } from './pipeline.js'

/**
 * Drops the events of users who opted out (SPEC §5). They are counted as dropped and never
 * stored, not even in quarantine; the answer says so, so the client is not misled.
 */
export function optOutStep(optOuts: { has(appId: string, userId: string): boolean }): Step {
  return (event) => {
    if (event.userId === null || !optOuts.has(event.appId, event.userId)) return { ok: true, event }
    return { ok: false, rejection: { code: 'opted_out', path: '/user_id', message: 'the user opted out: the event is dropped, not stored', drop: true } }
  }
}
