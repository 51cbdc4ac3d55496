import { sql, type Insertable, type Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, statement, type Tx } from '../../kernel/db/index.js'
import { DomainError, notFound, validationFailed, type FieldError } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents, type NewEvent } from '../../kernel/outbox/index.js'
import type { CustomersTables, IdentityTable, ProfileTable } from './db.js'
import { identityKey, normaliseIdentities, normaliseIdentity, type Identity, type RawIdentity } from './identities.js'
import type { CustomerView, IdentityConflict, IdentityKind } from './schema.js'
import { loadViews, ownersOf, ownersTouchingFirst, survivorsOf, touching } from './views.js'

export type ResolveInput =
  | { id: string }
  | {
      identities: readonly RawIdentity[]
      name?: string | null | undefined
      /** The touchpoint's channel code, stamped on what is created. */
      channel?: string | null | undefined
      /** Region for phones without a country code; default OMNIA_DEFAULT_PHONE_REGION. */
      region?: string | undefined
    }

export type Resolution = {
  customer: CustomerView
  created: boolean
  /** Identities attached to the customer by this call. */
  added: Identity[]
  /** Identities given that another profile owns; left where they are for identity resolution to merge. */
  conflicts: IdentityConflict[]
}

/** A resolution without the customer's view, for callers that need only who it is. */
export type ResolvedId = Omit<Resolution, 'customer'> & { customerId: string }

async function viewOf(tx: Tx<CustomersTables>, id: string): Promise<CustomerView> {
  const view = (await loadViews(tx, [id])).get(id)
  if (!view) throw notFound('customer', id)
  return view
}

/** A customer by id, answering the survivor when the id was merged away; `not-found` otherwise. */
export async function getCustomer(tx: Tx<CustomersTables>, id: string): Promise<CustomerView> {
  const survivor = (await survivorsOf(tx, [id])).get(id)
  if (!survivor) throw notFound('customer', id)
  return viewOf(tx, survivor)
}

/**
 * The customer owning one identity (normalised first, so `0912 345 6789` finds `+989123456789`),
 * or null. An invalid value is `validation-failed` at `path`.
 */
export async function findByIdentity(
  tx: Tx<CustomersTables>,
  kind: IdentityKind,
  value: string,
  options: { region?: string | undefined; path?: string } = {},
): Promise<CustomerView | null> {
  const outcome = normaliseIdentity({ kind, value, region: options.region })
  if ('error' in outcome) throw validationFailed([{ path: options.path ?? 'value', message: outcome.error }])
  const owner = (await ownersOf(tx, [{ kind, value: outcome.value }])).get(`${kind}:${outcome.value}`)
  return owner ? viewOf(tx, owner) : null
}

/**
 * Marks the profile seen and takes its row lock, so attachments to one profile run one after
 * another. Null when the profile was merged away meanwhile (the caller looks again).
 */
async function touch(tx: Tx<CustomersTables>, clock: Clock, id: string, name?: string | null): Promise<string | null> {
  const row = await touching(sql`${id}::text`, { at: clock.now(), name: name ?? null }).execute(tx)
  return (row.rows[0] as { id: string } | undefined)?.id ?? null
}

/**
 * A profile's identity rows, in sorted order so two requests inserting overlapping sets wait on
 * each other instead of deadlocking. With `firstArePrimary` (a new profile), each kind's first
 * identity by value is primary, as `markPrimaries` would choose among identities created together.
 */
export function identityRows(profileId: string, identities: readonly Identity[], channel: string | null, now: Date, firstArePrimary: boolean) {
  const sorted = [...identities].sort((a, b) => identityKey(a).localeCompare(identityKey(b)))
  const first = new Map<string, string>()
  for (const i of sorted) if (!first.has(i.kind) || i.value < first.get(i.kind)!) first.set(i.kind, i.value)
  return sorted.map((i) => ({
    ...i,
    profile_id: profileId,
    is_primary: firstArePrimary && first.get(i.kind) === i.value,
    source_channel: channel,
    created_at: now,
  }))
}

/** Inserts identities for a profile; ones another transaction owns are skipped, not stolen. */
async function insertIdentities(
  tx: Tx<CustomersTables>,
  clock: Clock,
  profileId: string,
  identities: readonly Identity[],
  channel: string | null,
): Promise<Set<string>> {
  if (identities.length === 0) return new Set()
  const rows = await tx
    .insertInto('customers.identity')
    .values(identityRows(profileId, identities, channel, clock.now(), false))
    .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
    .returning(['kind', 'value'])
    .execute()
  return new Set(rows.map(identityKey))
}

const insertWithIdentities = statement(
  (
    db: Kysely<CustomersTables>,
    p: { profile: Insertable<ProfileTable>; identities: Insertable<IdentityTable>[] },
  ) =>
    db
      .with('profile', (d) => d.insertInto('customers.profile').values(p.profile))
      .insertInto('customers.identity')
      .values(p.identities)
      .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
      .returning(['kind', 'value']),
)

/**
 * A new profile and its identities in one statement, each kind's first identity as primary (see
 * `identityRows`); an identity another profile took meanwhile is skipped and missing from the
 * answer, and the caller then corrects the primaries. Answers the identities inserted.
 */
async function insertProfile(
  tx: Tx<CustomersTables>,
  now: Date,
  profile: { id: string; name: string | null; channel: string | null },
  identities: readonly Identity[],
): Promise<Set<string>> {
  const values = { id: profile.id, name: profile.name, created_at: now, updated_at: now, merged_into: null, first_seen_channel: profile.channel, last_seen_at: now }
  if (identities.length === 0) {
    await tx.insertInto('customers.profile').values(values).execute()
    return new Set()
  }
  const rows = await insertWithIdentities.execute(tx, {
    profile: values,
    identities: identityRows(profile.id, identities, profile.channel, now, true),
  })
  return new Set(rows.map(identityKey))
}

/** The first identity of each kind on a profile becomes its primary, unless the kind has one (one primary email per profile). */
export async function markPrimaries(tx: Tx<CustomersTables>, profileId: string): Promise<void> {
  await sql`
    update customers.identity i set is_primary = true
    from (select distinct on (kind) kind, value from customers.identity where profile_id = ${profileId}
          order by kind, is_primary desc, created_at, value) f
    where i.kind = f.kind and i.value = f.value and not i.is_primary`.execute(tx)
}

function addedEvents(profileId: string, added: readonly Identity[], channel: string | null): NewEvent[] {
  return added.map((i) => ({
    name: 'customer.identity_added',
    payload: { profileId, kind: i.kind, value: i.value },
    channel,
    profileId,
  }))
}

/** What a new profile announces: `customer.created`, then each identity it was created with. */
export function createdEvents(profileId: string, profile: { name: string | null; channel: string | null; added: readonly Identity[] }): NewEvent[] {
  return [
    { name: 'customer.created', payload: { profileId, name: profile.name, firstSeenChannel: profile.channel }, channel: profile.channel, profileId },
    ...addedEvents(profileId, profile.added, profile.channel),
  ]
}

async function finish(
  tx: Tx<CustomersTables>,
  clock: Clock,
  profileId: string,
  result: { created: boolean; added: Identity[]; conflicts: IdentityConflict[]; channel: string | null; name?: string | null },
  options: { primariesMarked?: boolean } = {},
): Promise<ResolvedId> {
  if (result.added.length > 0 && !options.primariesMarked) await markPrimaries(tx, profileId)
  const events = result.created
    ? createdEvents(profileId, { name: result.name ?? null, channel: result.channel, added: result.added })
    : addedEvents(profileId, result.added, result.channel)
  await appendEvents(crossModule(tx), clock, events)
  return { customerId: profileId, created: result.created, added: result.added, conflicts: result.conflicts }
}

function conflictsOf(identities: readonly Identity[], owners: Map<string, string>, profileId: string): IdentityConflict[] {
  return identities.flatMap((i) => {
    const owner = owners.get(identityKey(i))
    return owner && owner !== profileId ? [{ ...i, profileId: owner }] : []
  })
}

/** Attaches the identities no one owns to a locked profile; reports the ones others own. */
async function attach(
  tx: Tx<CustomersTables>,
  clock: Clock,
  profileId: string,
  identities: readonly Identity[],
  owners: Map<string, string>,
  channel: string | null,
): Promise<ResolvedId> {
  const unknown = identities.filter((i) => !owners.has(identityKey(i)))
  const inserted = await insertIdentities(tx, clock, profileId, unknown, channel)
  const lost = unknown.filter((i) => !inserted.has(identityKey(i)))
  const lostOwners = await ownersOf(tx, lost)
  const conflicts = [...conflictsOf(identities, owners, profileId), ...conflictsOf(lost, lostOwners, profileId)]
  const added = unknown.filter((i) => inserted.has(identityKey(i)))
  return finish(tx, clock, profileId, { created: false, added, conflicts, channel })
}

/**
 * A new profile with the identities. When a concurrent request committed some of them first, it
 * created this customer: the identities this call did insert move to that profile and the new
 * one is dropped, which is what running after it would have done. The fresh profile is
 * invisible to others until commit, so moving its rows cannot race.
 */
async function create(
  tx: Tx<CustomersTables>,
  clock: Clock,
  identities: readonly Identity[],
  name: string | null,
  channel: string | null,
): Promise<ResolvedId> {
  const now = clock.now()
  const id = newId('cus')
  const inserted = await insertProfile(tx, now, { id, name, channel }, identities)
  const added = identities.filter((i) => inserted.has(identityKey(i)))
  const lost = identities.filter((i) => !inserted.has(identityKey(i)))
  if (lost.length === 0) return finish(tx, clock, id, { created: true, added, conflicts: [], channel, name }, { primariesMarked: true })
  const owners = await ownersOf(tx, lost)
  const winner = await touch(tx, clock, owners.get(identityKey(lost[0]!))!, name)
  // The winner was merged away in between: keep the new profile and report the conflicts.
  if (!winner) return finish(tx, clock, id, { created: true, added, conflicts: conflictsOf(lost, owners, id), channel, name })
  // They join the winner as secondary: it may have its primaries already (see markPrimaries).
  await tx.updateTable('customers.identity').set({ profile_id: winner, is_primary: false }).where('profile_id', '=', id).execute()
  await tx.deleteFrom('customers.profile').where('id', '=', id).execute()
  return finish(tx, clock, winner, { created: false, added, conflicts: conflictsOf(lost, owners, winner), channel })
}

/**
 * Finds or creates the one customer the caller means. With `{id}`: that customer (the survivor
 * if it was merged), else `not-found`. With identities (normalised; invalid ones are
 * `validation-failed` at `identities.<i>.value`): the profile owning the first identity that is
 * known, in the order given, else a new profile (`name`, `channel` as first-seen channel).
 * Identities nobody owns are attached to it; an identity another profile owns is never moved:
 * it is listed in `conflicts` so that identity resolution can merge the two later. Marks the
 * profile seen, and fills its name only when it has none.
 *
 * Concurrency: the unique (kind, value) index decides who owns an identity. Inserts use ON
 * CONFLICT DO NOTHING, which waits for a concurrent insert of the same identity to commit, and
 * identities not inserted are read again, so N concurrent resolves of one email end with one
 * profile. Appends `customer.created` and one `customer.identity_added` per attached identity.
 */
export async function resolveCustomer(tx: Tx<CustomersTables>, clock: Clock, input: ResolveInput): Promise<Resolution> {
  const { customerId, ...rest } = await resolveCustomerId(tx, clock, input)
  return { customer: await viewOf(tx, customerId), ...rest }
}

/**
 * `resolveCustomer` without reading the customer's view back (four queries fewer): for hot
 * paths such as an order placement that need only the id.
 */
export async function resolveCustomerId(tx: Tx<CustomersTables>, clock: Clock, input: ResolveInput): Promise<ResolvedId> {
  if ('id' in input) {
    const survivor = (await survivorsOf(tx, [input.id])).get(input.id)
    if (!survivor) throw notFound('customer', input.id)
    return { customerId: survivor, created: false, added: [], conflicts: [] }
  }
  const identities = normaliseIdentities(input.identities, 'identities', input.region)
  const channel = input.channel ?? null
  for (let attempt = 0; attempt < 5; attempt++) {
    // The usual case, a returning customer, is this one statement.
    const seen = { at: clock.now(), name: input.name ?? null }
    const { owners, touched } = await ownersTouchingFirst(tx, identities, seen)
    if (touched === undefined) return create(tx, clock, identities, input.name ?? null, channel)
    if (touched) return attach(tx, clock, touched, identities, owners, channel)
  }
  throw new Error('customer profile kept being merged away while resolving')
}

/**
 * Adds identities to one customer (the survivor if merged). Identities it already has are
 * skipped; one owned by another customer is `already-exists` at `identities.<i>.value` and
 * nothing is written (a clerk should see it, not silently split a person). The profile row is
 * locked first, so concurrent additions to one customer run one after another. Appends
 * `customer.identity_added` per identity attached.
 */
export async function addIdentities(
  tx: Tx<CustomersTables>,
  clock: Clock,
  id: string,
  raw: readonly RawIdentity[],
  options: { channel?: string | null; region?: string | undefined } = {},
): Promise<Resolution> {
  const identities = normaliseIdentities(raw, 'identities', options.region)
  const survivor = (await survivorsOf(tx, [id])).get(id)
  const profile = survivor ? await touch(tx, clock, survivor) : null
  if (!profile) throw notFound('customer', id)
  const owners = await ownersOf(tx, identities)
  const { customerId, ...result } = await attach(tx, clock, profile, identities, owners, options.channel ?? null)
  if (result.conflicts.length > 0) throw identitiesTaken(raw, options.region, result.conflicts)
  return { customer: await viewOf(tx, customerId), ...result }
}

function identitiesTaken(raw: readonly RawIdentity[], region: string | undefined, conflicts: readonly IdentityConflict[]) {
  const errors: FieldError[] = conflicts.map((c) => {
    const index = raw.findIndex((r) => {
      const outcome = normaliseIdentity(r, region)
      return r.kind === c.kind && 'value' in outcome && outcome.value === c.value
    })
    return { path: `identities.${index}.value`, message: `belongs to customer ${c.profileId}` }
  })
  return new DomainError('already-exists', `${conflicts.length} of these identities belong to another customer`, {
    resource: 'identity',
    errors,
    conflicts,
  })
}

/** Renames a customer (the survivor if merged); returns the views before and after for the audit. */
export async function renameCustomer(tx: Tx<CustomersTables>, clock: Clock, id: string, name: string | null) {
  const before = await getCustomer(tx, id)
  await tx.updateTable('customers.profile').set({ name, updated_at: clock.now() }).where('id', '=', before.id).execute()
  return { before, after: await viewOf(tx, before.id) }
}
