import { sql } from 'kysely'
import { outboxInsert } from '../../kernel/outbox/index.js'
import type { Tx } from '../../kernel/db/index.js'
import { dayOf } from './counters.js'
import type { SegmentsTables } from './db.js'
import { compileRule, type Scope } from './rules.js'
import type { Rule } from './schema.js'

type STx = Tx<SegmentsTables>

export type SegmentRef = { id: string; name: string; rule: Rule }
export type Diff = { entered: number; exited: number }

/**
 * Makes the stored membership of `segment` equal to what its rule says now, for the profiles in
 * `scope` (a batch's, or everyone), in ONE statement: the new member set is computed once, rows
 * are inserted for who entered and deleted for who left, one `segment.entered` / `segment.exited`
 * per change is appended to the outbox and the day's entry/exit counts are added to the history.
 *
 * The outbox rows are written inside the statement (`outboxInsert`) rather than by `appendEvents`:
 * a full recompute may move a million memberships, and shipping them through the application to
 * come back as one array parameter would cost more than the recompute itself.
 *
 * Concurrency: callers hold the segment's row lock (FOR SHARE in the single outbox subscriber,
 * FOR UPDATE in a full recompute), so no two statements change one segment's members at once
 * and the anti-join insert (cheaper than ON CONFLICT for a million rows) cannot collide.
 */
export async function reconcile(tx: STx, now: Date, segment: SegmentRef, scope: Scope): Promise<Diff> {
  const members = compileRule(segment.rule, scope, now)
  const mine = scope.profileIds ? sql`and m.profile_id = any(${[...scope.profileIds]}::text[])` : sql``
  const result = await sql<{ entered: number; exited: number }>`
    with now_in as materialized (${members}),
    entered as (
      insert into segments.membership (segment_id, profile_id, entered_at)
      select ${segment.id}, n.profile_id, ${now}::timestamptz from now_in n
      where not exists (select 1 from segments.membership m where m.segment_id = ${segment.id} and m.profile_id = n.profile_id)
      -- In key order, so a large entry appends to the indexes' right edge instead of splitting pages at random.
      order by n.profile_id
      returning profile_id),
    exited as (
      delete from segments.membership m
      where m.segment_id = ${segment.id} ${mine}
        and not exists (select 1 from now_in n where n.profile_id = m.profile_id)
      returning m.profile_id),
    changes as (
      select 'segment.entered' as name, profile_id from entered
      union all select 'segment.exited', profile_id from exited),
    published as (
      ${outboxInsert(sql`
        select name, 1, jsonb_build_object('version', 1, 'segmentId', ${segment.id}::text, 'segmentName', ${segment.name}::text,
          'profileId', profile_id), null, profile_id, ${now}::timestamptz
        from changes order by name, profile_id`)}
      returning 1),
    counted as (
      insert into segments.membership_change as h (segment_id, day, entered, exited)
      select ${segment.id}, ${dayOf(now)}::date, (select count(*) from entered), (select count(*) from exited)
      where exists (select 1 from changes)
      on conflict (segment_id, day) do update set entered = h.entered + excluded.entered, exited = h.exited + excluded.exited
      returning 1)
    select (select count(*) from entered)::int as entered, (select count(*) from exited)::int as exited,
      (select count(*) from published)::int + (select count(*) from counted)::int as written`.execute(tx)
  const diff = result.rows[0] ?? { entered: 0, exited: 0 }
  if (diff.entered > 0 || diff.exited > 0) {
    await sql`
      update segments.segment set member_count = member_count + ${diff.entered}::int - ${diff.exited}::int
      where id = ${segment.id}`.execute(tx)
  }
  return { entered: diff.entered, exited: diff.exited }
}

/** The members a rule selects now, without writing anything: a preview. */
export async function previewRule(tx: STx, now: Date, rule: Rule, sampleSize: number) {
  const members = compileRule(rule, { profileIds: null }, now)
  const result = await sql<{ count: number; sample: string[] | null }>`
    with m as materialized (${members})
    select (select count(*) from m)::int as count,
      (select array_agg(profile_id) from (select profile_id from m order by profile_id limit ${sampleSize}) s) as sample`.execute(tx)
  const row = result.rows[0]!
  return { count: row.count, sample: row.sample ?? [] }
}
