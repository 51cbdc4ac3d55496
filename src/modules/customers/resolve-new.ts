import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents, type NewEvent } from '../../kernel/outbox/index.js'
import type { CustomersTables } from './db.js'
import { identityKey, type Identity, type RawIdentity } from './identities.js'
import { ownedSets, resolveKnownIdentities, type OwnedSets } from './resolve-known.js'
import { createdEvents, identityRows } from './service.js'

/** Someone an event names: their identities, strongest first, and the event's channel. */
export type Sighting = { identities: readonly RawIdentity[]; channel: string | null }

/**
 * The set-based path for people seen for the first time, for event processing: one new profile
 * per distinct identity set (of `owned`, where `asks` has an entry) that no one owns and
 * that shares no identity with any other set asked about (those, like a visitor's first page
 * view and their sign-up in the same batch, are left to `resolveAndMerge`, which takes them in
 * order). Each profile is created as `resolveCustomer` would create it — first-seen channel of
 * the set's first event, each kind's first identity primary, `customer.created` and
 * `customer.identity_added` — in three queries whatever the number. Answers each entry's new
 * profile, or null for the caller to resolve one by one (entries not asked about, sets
 * that do not normalise, and sets whose identity a concurrent transaction took first: their
 * profile is dropped again).
 */
async function createNewcomers(
  tx: Tx<CustomersTables>,
  clock: Clock,
  owned: OwnedSets,
  asks: readonly (Pick<Sighting, 'channel'> | null)[],
): Promise<(string | null)[]> {
  const { owners } = owned
  const normalised = owned.normalised.map((set, i) => (asks[i] ? set : null))
  const keyOf = (set: readonly Identity[]) => set.map(identityKey).sort().join('\u0000')
  // Which distinct sets name each identity: an identity in two different sets joins them.
  const setsNaming = new Map<string, Set<string>>()
  normalised.forEach((set) => {
    if (!set) return
    for (const i of set) setsNaming.set(identityKey(i), (setsNaming.get(identityKey(i)) ?? new Set()).add(keyOf(set)))
  })
  const fresh = (set: readonly Identity[]) =>
    set.every((i) => !owners.has(identityKey(i)) && setsNaming.get(identityKey(i))!.size === 1)
  const now = clock.now()
  const profiles = new Map<string, { id: string; channel: string | null; identities: readonly Identity[] }>()
  normalised.forEach((set, i) => {
    if (!set || !fresh(set) || profiles.has(keyOf(set))) return
    profiles.set(keyOf(set), { id: newId('cus'), channel: asks[i]!.channel, identities: set })
  })
  if (profiles.size === 0) return normalised.map(() => null)
  const made = [...profiles.values()]
  await tx
    .insertInto('customers.profile')
    .values(made.map((p) => ({ id: p.id, name: null, created_at: now, updated_at: now, merged_into: null, first_seen_channel: p.channel, last_seen_at: now })))
    .execute()
  const inserted = await tx
    .insertInto('customers.identity')
    .values(made.flatMap((p) => identityRows(p.id, p.identities, p.channel, now, true)))
    .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
    .returning(['profile_id'])
    .execute()
  const held = new Map<string, number>()
  for (const r of inserted) held.set(r.profile_id, (held.get(r.profile_id) ?? 0) + 1)
  const beaten = made.filter((p) => held.get(p.id) !== p.identities.length).map((p) => p.id)
  if (beaten.length > 0) {
    await tx.deleteFrom('customers.identity').where('profile_id', 'in', beaten).execute()
    await tx.deleteFrom('customers.profile').where('id', 'in', beaten).execute()
  }
  const created = made.filter((p) => !beaten.includes(p.id))
  const events: NewEvent[] = created.flatMap((p) => createdEvents(p.id, { name: null, channel: p.channel, added: p.identities }))
  await appendEvents(crossModule(tx), clock, events)
  const ids = new Map(created.map((p) => [keyOf(p.identities), p.id]))
  return normalised.map((set) => (set ? (ids.get(keyOf(set)) ?? null) : null))
}

/**
 * Resolves a batch of events' identity sets without changing who anyone is: people already
 * known are marked seen (`resolveKnownIdentities`), people seen for the first time are created
 * (`createNewcomers`), from one lookup of who owns what. Null for every set that links people
 * or races another transaction, for `resolveAndMerge` to take one by one. Five queries whatever
 * the number of sets.
 */
export async function resolveSightings(tx: Tx<CustomersTables>, clock: Clock, sightings: readonly Sighting[]): Promise<(string | null)[]> {
  const owned = await ownedSets(tx, sightings.map((s) => s.identities))
  const found = await resolveKnownIdentities(tx, clock, owned)
  const created = await createNewcomers(tx, clock, owned, sightings.map((s, i) => (found[i] ? null : s)))
  return found.map((id, i) => id ?? created[i] ?? null)
}
