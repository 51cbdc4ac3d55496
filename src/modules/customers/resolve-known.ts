import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import type { CustomersTables } from './db.js'
import { identityKey, normaliseIdentities, type Identity, type RawIdentity } from './identities.js'
import { ownersOf, survivorsOf } from './views.js'

/** Identity sets as normalised (null when empty or invalid) and the survivor owning each identity. */
export type OwnedSets = { normalised: (Identity[] | null)[]; owners: Map<string, string> }

/** Normalises every set and finds who owns their identities: one query for all of them. */
export async function ownedSets(tx: Tx<CustomersTables>, sets: readonly (readonly RawIdentity[])[]): Promise<OwnedSets> {
  const normalised = sets.map((set) => {
    if (set.length === 0) return null
    try {
      return normaliseIdentities(set)
    } catch {
      return null
    }
  })
  const all = new Map(normalised.flatMap((set) => set ?? []).map((i) => [identityKey(i), i]))
  return { normalised, owners: await ownersOf(tx, [...all.values()]) }
}

/**
 * The set-based fast path of identity resolution, for event processing: for each identity set,
 * the surviving profile that already owns every one of its identities, or null when resolving
 * it could change something (an identity no one owns yet, identities of two profiles, a profile
 * merged away meanwhile, a set that does not normalise).
 *
 * For the sets it answers it does what `resolveCustomer` would (nothing to attach, no event to
 * append): it marks the profiles seen, in one statement after locking them in id order, as
 * `resolveAndMerge` does, so it cannot deadlock with it. Two queries whatever the number of sets.
 */
export async function resolveKnownIdentities(tx: Tx<CustomersTables>, clock: Clock, owned: OwnedSets): Promise<(string | null)[]> {
  const { normalised, owners } = owned
  const candidates = normalised.map((set) => {
    const profiles = new Set(set?.map((i) => owners.get(identityKey(i))) ?? [undefined])
    const [only] = profiles
    return profiles.size === 1 && only !== undefined ? only : null
  })
  const ids = [...new Set(candidates.filter((id): id is string => id !== null))].sort()
  if (ids.length === 0) return candidates
  await sql`select id from customers.profile where id = any(${ids}::text[]) order by id for update`.execute(tx)
  const touched = await sql<{ id: string }>`
    update customers.profile set last_seen_at = ${clock.now()}
    where id = any(${ids}::text[]) and merged_into is null returning id`.execute(tx)
  const live = new Set(touched.rows.map((r) => r.id))
  return candidates.map((id) => (id !== null && live.has(id) ? id : null))
}

/** The profile each id stands for now: itself, or the survivor it was merged into. */
export async function currentProfileIds(tx: Tx<CustomersTables>, ids: readonly string[]): Promise<Map<string, string>> {
  return survivorsOf(tx, [...new Set(ids)])
}
