import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { CustomersTables, ProfileRow } from './db.js'
import type { Identity } from './identities.js'
import { wereUnmerged, wouldHaveTwoUserIds, type Refusal, type RefusalReason } from './merge-limits.js'
import { markPrimaries } from './service.js'
import { survivorsOf } from './views.js'

type CTx = Tx<CustomersTables>

export type MergeInput = {
  survivor: string
  loser: string
  reason: string
  actor: string
  /** Automatic merges keep apart profiles staff unmerged; a merge by hand is staff's own judgement. */
  automatic?: boolean
}

export type MergeResult =
  | { outcome: 'merged'; survivorId: string; loserId: string; identities: Identity[] }
  | { outcome: 'already-merged'; survivorId: string }
  | { outcome: 'refused'; reason: RefusalReason; profileIds: string[] }

/** Row locks on surviving profiles, always taken in id order so two merges never wait on each other in a circle. */
export async function lockProfiles(tx: CTx, ids: readonly string[]): Promise<ProfileRow[]> {
  if (ids.length === 0) return []
  const rows = await sql<ProfileRow>`
    select * from customers.profile where id = any(${[...new Set(ids)]}::text[]) order by id for update`.execute(tx)
  return rows.rows
}

const older = (a: ProfileRow, b: ProfileRow) =>
  a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * Folds two customers into one. The older profile (created_at, then id) survives whichever
 * order the ids come in; ids already merged are followed to their survivors. The loser keeps
 * its row with `merged_into = survivor`, so its id still resolves; its identities (as
 * non-primary, then the survivor's missing primaries are filled), current consents (the most
 * recent choice per channel and purpose wins, an opt-out wins a tie), consent history and
 * preferences (the most recently changed set) move to the survivor. The identities that moved
 * are recorded in `customers.merge` for an unmerge. Appends `customer.merged {survivorId,
 * loserId, reason}` so other modules re-point their references.
 *
 * Refused (nothing written) when both profiles carry a user_id (one account is one person), or,
 * for `automatic` merges, when staff unmerged the two before.
 * `not-found` for an unknown id. Concurrency: both profile rows are locked in id order before
 * anything is read, and a side merged away meanwhile is looked up again, so racing merges of
 * the same pair end with one survivor and no identity is lost.
 */
export async function mergeProfiles(tx: CTx, clock: Clock, input: MergeInput): Promise<MergeResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const survivors = await survivorsOf(tx, [input.survivor, input.loser])
    const a = survivors.get(input.survivor)
    const b = survivors.get(input.loser)
    if (!a) throw notFound('customer', input.survivor)
    if (!b) throw notFound('customer', input.loser)
    if (a === b) return { outcome: 'already-merged', survivorId: a }
    const locked = await lockProfiles(tx, [a, b])
    if (locked.length !== 2 || locked.some((p) => p.merged_into !== null)) continue
    const [survivor, loser] = [...locked].sort(older) as [ProfileRow, ProfileRow]
    if (await wouldHaveTwoUserIds(tx, survivor.id, loser.id)) {
      return { outcome: 'refused', reason: 'two-user-ids', profileIds: [survivor.id, loser.id] }
    }
    if (input.automatic && (await wereUnmerged(tx, survivor.id, loser.id))) {
      return { outcome: 'refused', reason: 'unmerged-before', profileIds: [survivor.id, loser.id] }
    }
    const identities = await fold(tx, clock, survivor, loser, input)
    return { outcome: 'merged', survivorId: survivor.id, loserId: loser.id, identities }
  }
  throw new Error('customer profiles kept being merged away while merging')
}

async function fold(tx: CTx, clock: Clock, survivor: ProfileRow, loser: ProfileRow, input: MergeInput): Promise<Identity[]> {
  const now = clock.now()
  const [s, l] = [survivor.id, loser.id]
  const moved = await sql<Identity>`
    update customers.identity set profile_id = ${s}, is_primary = false where profile_id = ${l}
    returning kind, value`.execute(tx)
  await markPrimaries(tx, s)
  await sql`
    insert into customers.consent as c (profile_id, channel, purpose, status, source, source_channel, recorded_by, proof, changed_at)
    select ${s}, channel, purpose, status, source, source_channel, recorded_by, proof, changed_at
    from customers.consent where profile_id = ${l}
    on conflict (profile_id, channel, purpose) do update set
      status = excluded.status, source = excluded.source, source_channel = excluded.source_channel,
      recorded_by = excluded.recorded_by, proof = excluded.proof, changed_at = excluded.changed_at
    where excluded.changed_at > c.changed_at
       or (excluded.changed_at = c.changed_at and excluded.status = 'opted_out')`.execute(tx)
  await sql`delete from customers.consent where profile_id = ${l}`.execute(tx)
  await sql`update customers.consent_event set profile_id = ${s} where profile_id = ${l}`.execute(tx)
  await sql`
    insert into customers.preference as p (profile_id, preferred_channel, language, quiet_start, quiet_end, time_zone, updated_at)
    select ${s}, preferred_channel, language, quiet_start, quiet_end, time_zone, updated_at
    from customers.preference where profile_id = ${l}
    on conflict (profile_id) do update set
      preferred_channel = excluded.preferred_channel, language = excluded.language, quiet_start = excluded.quiet_start,
      quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, updated_at = excluded.updated_at
    where excluded.updated_at > p.updated_at`.execute(tx)
  await sql`delete from customers.preference where profile_id = ${l}`.execute(tx)
  await tx.updateTable('customers.profile').set({ merged_into: s, updated_at: now }).where('id', '=', l).execute()
  await sql`
    update customers.profile set name = coalesce(name, ${loser.name}::text), updated_at = ${now},
      last_seen_at = greatest(last_seen_at, ${loser.last_seen_at}::timestamptz)
    where id = ${s}`.execute(tx)
  await tx
    .insertInto('customers.merge')
    .values({
      id: newId('mrg'),
      survivor_id: s,
      loser_id: l,
      reason: input.reason,
      actor: input.actor,
      identities: JSON.stringify(moved.rows),
      merged_at: now,
      unmerged_at: null,
    })
    .execute()
  await appendEvents(crossModule(tx), clock, [
    { name: 'customer.merged', version: 1, payload: { survivorId: s, loserId: l, reason: input.reason }, channel: null, profileId: s },
  ])
  return moved.rows
}

/**
 * Undoes one merge: the loser comes back (merged_into cleared) with the identities that came
 * with the merge (those still on the survivor's line; ones a clerk removed since stay gone).
 * Consents and history recorded before stay with the survivor: they are proof of what was
 * recorded, and both profiles are read again from the unmerge on. `not-found` when `loser` was
 * not merged into `survivor` (or was already unmerged). Locks both profiles in id order and
 * closes the merge row in the same transaction; appends `customer.unmerged`.
 */
export async function unmergeProfiles(tx: CTx, clock: Clock, input: { survivor: string; loser: string; actor: string }) {
  const merge = await tx
    .selectFrom('customers.merge')
    .selectAll()
    .where('survivor_id', '=', input.survivor)
    .where('loser_id', '=', input.loser)
    .where('unmerged_at', 'is', null)
    .executeTakeFirst()
  if (!merge) throw notFound('merge', `${input.survivor}/${input.loser}`)
  const current = (await survivorsOf(tx, [input.survivor])).get(input.survivor)!
  await lockProfiles(tx, [current, input.loser])
  const now = clock.now()
  const identities = merge.identities as Identity[]
  const back = await sql<Identity>`
    update customers.identity i set profile_id = ${input.loser}, is_primary = false
    from unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[]) as m(kind, value)
    where i.kind = m.kind and i.value = m.value and i.profile_id = ${current}
    returning i.kind, i.value`.execute(tx)
  const closed = await tx
    .updateTable('customers.merge')
    .set({ unmerged_at: now })
    .where('id', '=', merge.id)
    .where('unmerged_at', 'is', null)
    .executeTakeFirst()
  if (Number(closed.numUpdatedRows) !== 1) throw notFound('merge', `${input.survivor}/${input.loser}`)
  await tx.updateTable('customers.profile').set({ merged_into: null, updated_at: now }).where('id', '=', input.loser).execute()
  await markPrimaries(tx, input.loser)
  await markPrimaries(tx, current)
  await appendEvents(crossModule(tx), clock, [
    {
      name: 'customer.unmerged',
      version: 1,
      payload: { survivorId: input.survivor, loserId: input.loser, identities: back.rows, actor: input.actor },
      channel: null,
      profileId: input.loser,
    },
  ])
  return { survivorId: current, loserId: input.loser, identities: back.rows }
}

/** Keeps a merge the rules forbade for a person to review, once per pair of profiles and reason. */
export async function recordRefusal(tx: CTx, clock: Clock, refusal: Refusal): Promise<void> {
  await tx
    .insertInto('customers.merge_refusal')
    .values({
      id: newId('mrf'),
      profile_ids: [...refusal.profileIds].sort(),
      identities: JSON.stringify(refusal.identities),
      reason: refusal.reason,
      created_at: clock.now(),
    })
    // One review item per pair and reason: every event of a shared tablet must not add another.
    .onConflict((oc) => oc.columns(['profile_ids', 'reason']).doNothing())
    .execute()
}

/**
 * A surviving profile and every profile merged into it, at any depth, in one recursive query
 * (cut at 32 hops so a corrupt cycle cannot loop); `not-found` for an unknown id. Readers of
 * per-profile records (timelines) use it so history from before a merge stays visible.
 */
export async function mergedProfileIds(tx: CTx, id: string): Promise<{ survivor: string; ids: string[] }> {
  const survivor = (await survivorsOf(tx, [id])).get(id)
  if (!survivor) throw notFound('customer', id)
  const rows = await sql<{ id: string }>`
    with recursive tree(id, depth) as (
      select ${survivor}::text, 0
      union all
      select p.id, t.depth + 1 from tree t join customers.profile p on p.merged_into = t.id where t.depth < 32
    )
    select id from tree`.execute(tx)
  return { survivor, ids: rows.rows.map((r) => r.id) }
}
