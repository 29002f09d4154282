import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../processors/db/db.js'
import { openPglite } from '../../../processors/db/pglite.js'
import { createGroupCommitIntake } from '../../../processors/intake/group-commit.js'
import type { Submission } from '../../../processors/intake/intake.js'
import { createPartitions } from '../../../processors/maintenance/partitions-job.js'
import { createEventStore, type EventStore, type WriteBatch } from '../../../processors/store/event-store.js'
import { migrate } from '../../../processors/store/migrate.js'
import { canonical } from '../../support/events.js'

const sub = (ids: string[]): Submission => ({ events: ids.map((eventId) => canonical({ eventId })), heartbeats: [], quarantine: [] })

describe('group-commit intake', () => {
  let db: Db
  let store: EventStore
  let commits: number[]

  beforeEach(async () => {
    db = await openPglite()
    await migrate(db)
    await createPartitions(db, { retentionDays: 2, heartbeatRetentionDays: 2 })
    store = createEventStore(db)
    commits = []
  })
  afterEach(async () => { await db.close() })

  const intake = (over: Partial<Parameters<typeof createGroupCommitIntake>[1]> = {}) =>
    createGroupCommitIntake(store, { maxBatchRows: 1000, maxQueuedRows: 10_000, concurrency: 1, onCommit: ({ submissions }) => commits.push(submissions), ...over })

  it('commits concurrent submissions together and answers each', async () => {
    const i = intake()
    const answers = await Promise.all([sub(['a']), sub(['b', 'c']), sub(['d']), sub(['e'])].map((s) => i.submit(s)))
    expect(answers).toEqual([['stored'], ['stored', 'stored'], ['stored'], ['stored']])
    // A commit starts one event-loop turn after work arrives, so all four share it.
    expect(commits).toEqual([4])
  })

  it('answers the second copy of an event sent twice in one group as a duplicate', async () => {
    const i = intake()
    const answers = await Promise.all([sub(['x']), sub(['y', 'z']), sub(['z', 'y'])].map((s) => i.submit(s)))
    expect(answers).toEqual([['stored'], ['stored', 'stored'], ['duplicate', 'duplicate']])
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
    expect(rows).toEqual([{ n: 3 }])
  })

  it('answers repeats of already stored events as duplicates', async () => {
    const i = intake()
    await i.submit(sub(['a', 'b']))
    expect(await i.submit(sub(['b', 'c']))).toEqual(['duplicate', 'stored'])
  })

  it('never puts more than maxBatchRows in one commit, and never splits a submission', async () => {
    const i = intake({ maxBatchRows: 3 })
    await Promise.all([sub(['a']), sub(['b', 'c']), sub(['d', 'e']), sub(['f', 'g', 'h', 'i'])].map((s) => i.submit(s)))
    // [a]+[b,c] fill 3 rows; [d,e] alone (the next would pass 3); [f..i] alone although over the limit.
    expect(commits).toEqual([2, 1, 1])
  })

  it('refuses with PG_ERR_OVERLOADED when the queue is full, and makes a waiting submitter wait', async () => {
    const i = intake({ maxQueuedRows: 3 })
    const first = i.submit(sub(['a']))
    const second = i.submit(sub(['b', 'c']))
    await expect(i.submit(sub(['d']))).rejects.toMatchObject({ code: 'PG_ERR_OVERLOADED', statusCode: 429 })
    const waited = i.submit(sub(['e']), { whenFull: 'wait' })
    expect(await Promise.all([first, second, waited])).toEqual([['stored'], ['stored', 'stored'], ['stored']])
  })

  it('fails only the submission the store cannot write, not the others in its group', async () => {
    const failing: EventStore = {
      db,
      close: async () => {},
      write: async (batch: WriteBatch) => {
        if (batch.events.some((e) => e.eventId === 'poison')) throw new Error('invalid input syntax')
        return store.write(batch)
      }
    }
    const i = createGroupCommitIntake(failing, { maxBatchRows: 1000, maxQueuedRows: 10_000, concurrency: 1 })
    const results = await Promise.allSettled([sub(['a']), sub(['b']), sub(['poison']), sub(['c'])].map((s) => i.submit(s)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'PG_ERR_STORE_UNAVAILABLE', statusCode: 503 })
  })

  it('drains everything accepted on close, then refuses new submissions', async () => {
    const i = intake()
    const pending = [sub(['a']), sub(['b']), sub(['c'])].map((s) => i.submit(s))
    await i.close()
    expect(i.depth()).toBe(0)
    expect(await Promise.all(pending)).toEqual([['stored'], ['stored'], ['stored']])
    await expect(i.submit(sub(['d']))).rejects.toMatchObject({ code: 'PG_ERR_SHUTTING_DOWN' })
  })
})
