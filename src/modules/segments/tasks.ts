import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { dayOf } from './counters.js'
import type { SegmentRow } from './db.js'
import { refreshRfm } from './rfm.js'
import { recomputeOne } from './segments.js'

/**
 * Lets time pass for segments: once per UTC day, RFM recency bands are recomputed for everyone,
 * then every time-relative segment not yet evaluated today is recomputed, one per transaction,
 * lowest rank first (someone leaves "viewed in the last 7 days" the day the last view falls out).
 * Safe in several processes: the day's chore row is claimed by a guarded upsert and segments
 * with FOR UPDATE SKIP LOCKED. Returns how many segments were recomputed.
 */
export async function refreshTimeWindows(db: Kysely<any>, clock: Clock): Promise<number> {
  const today = dayOf(clock.now())
  await inTransaction(db, async (tx) => {
    const claimed = await sql`
      insert into segments.chore as c (name, done_on) values ('rfm', ${today}::date)
      on conflict (name) do update set done_on = excluded.done_on where c.done_on < excluded.done_on
      returning name`.execute(tx)
    if (claimed.rows.length > 0) await refreshRfm(tx, clock.now(), null)
  })
  let done = 0
  for (;;) {
    const more = await inTransaction(db, async (tx) => {
      const due = await sql<SegmentRow>`
        select * from segments.segment
        where is_time_relative and (evaluated_on is null or evaluated_on < ${today}::date)
        order by rank, id limit 1 for update skip locked`.execute(tx)
      const segment = due.rows[0]
      if (!segment) return false
      await recomputeOne(tx, clock.now(), segment)
      return true
    })
    if (!more) return done
    done++
  }
}

/** The segments module's timed work: the daily passage of time, checked every minute. */
export function segmentTasks(deps: { db: Kysely<any>; clock: Clock; logger: Logger }): PeriodicTask[] {
  return [
    {
      name: 'segments.refresh-time-windows',
      everyMs: 60_000,
      run: async () => {
        const recomputed = await refreshTimeWindows(deps.db, deps.clock)
        if (recomputed > 0) deps.logger.info({ recomputed }, 'time-relative segments recomputed')
      },
    },
  ]
}
