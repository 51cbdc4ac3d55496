import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { SegmentsTables } from './db.js'
import type { Fact } from './facts.js'

type STx = Tx<SegmentsTables>

/** The UTC day of an instant, as behaviour windows count it. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10)

/** What adding to an existing counter row does: the counts add, the latest instant wins. */
const added = sql`occurrences = c.occurrences + excluded.occurrences, last_at = greatest(c.last_at, excluded.last_at)`

/**
 * Adds the facts to the per-day counters with one upsert: facts are grouped by (name, day,
 * channel, profile) first, so the statement never touches one row twice. Concurrent batches
 * add with `occurrences + excluded.occurrences`, which the row lock of the upsert serialises.
 */
export async function countFacts(tx: STx, facts: readonly Fact[]): Promise<void> {
  const groups = new Map<string, { name: string; day: string; channel: string; profileId: string; n: number; lastAt: Date }>()
  for (const f of facts) {
    const g = { name: f.name, day: dayOf(f.occurredAt), channel: f.channel ?? '', profileId: f.profileId, n: 0, lastAt: f.occurredAt }
    const key = `${g.name}\u0000${g.day}\u0000${g.channel}\u0000${g.profileId}`
    const found = groups.get(key) ?? g
    found.n += 1
    if (f.occurredAt > found.lastAt) found.lastAt = f.occurredAt
    groups.set(key, found)
  }
  const rows = [...groups.values()]
  if (rows.length === 0) return
  await sql`
    insert into segments.daily_count as c (name, day, channel, profile_id, occurrences, last_at)
    select * from unnest(${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.day)}::date[],
      ${rows.map((r) => r.channel)}::text[], ${rows.map((r) => r.profileId)}::text[], ${rows.map((r) => r.n)}::int[],
      ${rows.map((r) => r.lastAt.toISOString())}::timestamptz[])
    on conflict (name, day, channel, profile_id) do update set ${added}`.execute(tx)
}

/** Moves every counter of `loser` onto `survivor`, adding where both counted the same day. */
export async function foldCounters(tx: STx, survivor: string, loser: string): Promise<void> {
  await sql`
    insert into segments.daily_count as c (name, day, channel, profile_id, occurrences, last_at)
    select name, day, channel, ${survivor}, occurrences, last_at from segments.daily_count where profile_id = ${loser}
    on conflict (name, day, channel, profile_id) do update set ${added}`.execute(tx)
  await sql`delete from segments.daily_count where profile_id = ${loser}`.execute(tx)
}

/** Rebuilds one profile's counters from the stored facts of `sources` (it and those merged into it). */
export async function rebuildCounters(tx: STx, profileId: string, sources: readonly string[]): Promise<void> {
  await sql`delete from segments.daily_count where profile_id = ${profileId}`.execute(tx)
  await sql`
    insert into segments.daily_count (name, day, channel, profile_id, occurrences, last_at)
    select name, (occurred_at at time zone 'UTC')::date, coalesce(channel, ''), ${profileId}, count(*)::int, max(occurred_at)
    from segments.fact where profile_id = any(${[...sources]}::text[])
    group by 1, 2, 3`.execute(tx)
}
