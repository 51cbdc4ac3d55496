import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { SegmentsTables } from './db.js'
import type { Fact } from './facts.js'

type STx = Tx<SegmentsTables>

/**
 * Adds the profiles facts name to the universe and answers each one's current survivor, following
 * `merged_into` (cut at 32 hops so a corrupt cycle cannot loop): a fact stamped with a profile
 * merged away since still counts for the person. Two statements whatever the batch size.
 */
export async function survivorsOf(tx: STx, ids: readonly string[], seenAt: Date): Promise<Map<string, string>> {
  return (await register(tx, ids, seenAt)).survivors
}

async function register(tx: STx, ids: readonly string[], seenAt: Date): Promise<{ survivors: Map<string, string>; fresh: string[] }> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return { survivors: new Map(), fresh: [] }
  const inserted = await sql<{ id: string }>`
    insert into segments.profile (id, merged_into, first_seen_at)
    select id, null, ${seenAt} from unnest(${unique}::text[]) as u(id)
    on conflict (id) do nothing
    returning id`.execute(tx)
  const rows = await sql<{ start: string; id: string }>`
    with recursive chain(start, id, merged_into, depth) as (
      select p.id, p.id, p.merged_into, 0 from segments.profile p where p.id = any(${unique}::text[])
      union all
      select c.start, p.id, p.merged_into, c.depth + 1
      from chain c join segments.profile p on p.id = c.merged_into where c.depth < 32
    )
    select start, id from chain where merged_into is null`.execute(tx)
  return { survivors: new Map(rows.rows.map((r) => [r.start, r.id])), fresh: inserted.rows.map((r) => r.id) }
}

/**
 * The facts with their profile replaced by its survivor, and the profiles seen for the first time
 * (which every segment must consider: a `not` rule may hold for someone nothing is known about).
 */
export async function toSurvivors(tx: STx, facts: readonly Fact[], seenAt: Date): Promise<{ facts: Fact[]; fresh: string[] }> {
  const { survivors, fresh } = await register(tx, facts.map((f) => f.profileId), seenAt)
  return { facts: facts.map((f) => ({ ...f, profileId: survivors.get(f.profileId) ?? f.profileId })), fresh }
}
