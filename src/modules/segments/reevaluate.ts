import { sql } from 'kysely'
import { outboxInsert } from '../../kernel/outbox/index.js'
import type { Tx } from '../../kernel/db/index.js'
import { dayOf } from './counters.js'
import type { SegmentsTables } from './db.js'
import { reconcile, type Diff } from './membership.js'
import type { Rule } from './schema.js'

type STx = Tx<SegmentsTables>

/**
 * Re-evaluates, for the given profiles, every segment that reads one of `changed` ('event:…',
 * 'trait:…', 'identity', 'consent'; null = all): one statement per such segment, in rank order
 * so a segment that reads another's membership sees it already updated, and a segment whose
 * membership changed re-evaluates the segments that read it.
 */
export async function reevaluate(tx: STx, now: Date, profileIds: readonly string[], changed: ReadonlySet<string> | null): Promise<Diff> {
  const total = { entered: 0, exited: 0 }
  if (profileIds.length === 0) return total
  // FOR SHARE, in (rank, id) order like a full recompute's FOR UPDATE: a recompute never
  // computes its member set from a snapshot older than facts this batch is applying.
  const segments = await tx
    .selectFrom('segments.segment')
    .select(['id', 'name', 'rule', 'depends_on'])
    .orderBy('rank')
    .orderBy('id')
    .forShare()
    .execute()
  const keys = new Set(changed ?? [])
  for (const s of segments) {
    if (changed !== null && !s.depends_on.some((d) => keys.has(d))) continue
    const diff = await reconcile(tx, now, { id: s.id, name: s.name, rule: s.rule as Rule }, { profileIds })
    if (diff.entered + diff.exited > 0) keys.add(`segment:${s.id}`)
    total.entered += diff.entered
    total.exited += diff.exited
  }
  return total
}

/**
 * Takes profiles out of every segment (a profile merged away is no longer anyone), appending
 * `segment.exited` for each membership and counting the exits in the history: three statements.
 */
export async function leaveAll(tx: STx, now: Date, profileIds: readonly string[]): Promise<number> {
  if (profileIds.length === 0) return 0
  const result = await sql<{ segment_id: string; n: number }>`
    with exited as (
      delete from segments.membership where profile_id = any(${[...profileIds]}::text[]) returning segment_id, profile_id),
    published as (
      ${outboxInsert(sql`
        select 'segment.exited', 1, jsonb_build_object('version', 1, 'segmentId', e.segment_id, 'segmentName', s.name,
          'profileId', e.profile_id), null, e.profile_id, ${now}::timestamptz
        from exited e join segments.segment s on s.id = e.segment_id order by e.segment_id, e.profile_id`)}
      returning 1)
    select segment_id, count(*)::int as n from exited group by segment_id`.execute(tx)
  const rows = result.rows
  if (rows.length === 0) return 0
  await sql`
    insert into segments.membership_change as h (segment_id, day, entered, exited)
    select segment_id, ${dayOf(now)}::date, 0, n from unnest(${rows.map((r) => r.segment_id)}::text[], ${rows.map((r) => r.n)}::int[]) as u(segment_id, n)
    on conflict (segment_id, day) do update set exited = h.exited + excluded.exited`.execute(tx)
  await sql`
    update segments.segment s set member_count = member_count - u.n
    from unnest(${rows.map((r) => r.segment_id)}::text[], ${rows.map((r) => r.n)}::int[]) as u(segment_id, n)
    where s.id = u.segment_id`.execute(tx)
  return rows.reduce((a, r) => a + r.n, 0)
}
