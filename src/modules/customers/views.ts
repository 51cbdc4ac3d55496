import { sql, type RawBuilder } from 'kysely'
import { rowsOf, statement, type Tx } from '../../kernel/db/index.js'
import { consentViewsOf, noPreferences } from './consent-views.js'
import type { ConsentView, PreferencesView } from './consent-schema.js'
import type { CustomersTables, IdentityRow, ProfileRow } from './db.js'
import { identityKey, type Identity } from './identities.js'
import type { CustomerView } from './schema.js'

export function toView(
  profile: ProfileRow,
  identities: readonly IdentityRow[],
  consent: { consents: ConsentView[]; preferences: PreferencesView } = { consents: [], preferences: noPreferences },
): CustomerView {
  return {
    id: profile.id,
    name: profile.name,
    firstSeenChannel: profile.first_seen_channel,
    lastSeenAt: profile.last_seen_at.toISOString(),
    createdAt: profile.created_at.toISOString(),
    updatedAt: profile.updated_at.toISOString(),
    identities: identities.map((i) => ({
      kind: i.kind,
      value: i.value,
      isPrimary: i.is_primary,
      channel: i.source_channel,
      createdAt: i.created_at.toISOString(),
    })),
    consents: consent.consents,
    preferences: consent.preferences,
  }
}

/** Profiles with their identities, consents and preferences, four queries for any number of ids; missing ids are absent. */
export async function loadViews(tx: Tx<CustomersTables>, ids: readonly string[]): Promise<Map<string, CustomerView>> {
  if (ids.length === 0) return new Map()
  const [profiles, identities, consents] = await Promise.all([
    tx.selectFrom('customers.profile').selectAll().where('id', 'in', [...ids]).execute(),
    tx
      .selectFrom('customers.identity')
      .selectAll()
      .where('profile_id', 'in', [...ids])
      .orderBy('kind')
      .orderBy('is_primary', 'desc')
      .orderBy('created_at')
      .orderBy('value')
      .execute(),
    consentViewsOf(tx, ids),
  ])
  return new Map(profiles.map((p) => [p.id, toView(p, identities.filter((i) => i.profile_id === p.id), consents.get(p.id))]))
}

/**
 * The surviving profile of each id, following `merged_into` to its end (chains are cut at 32
 * hops so a corrupt cycle cannot loop). Unknown ids are absent from the map.
 */
export async function survivorsOf(tx: Tx<CustomersTables>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await sql<{ start: string; id: string }>`
    with recursive ${chainFrom(sql`${[...ids]}::text[]`)}
    select start, id from chain where merged_into is null`.execute(tx)
  return new Map(rows.rows.map((r) => [r.start, r.id]))
}

/**
 * `chain`: each profile of the array `starts`, followed through `merged_into` (at most 32
 * links). Every profile is read by a lateral primary-key lookup with a limit: a join or an
 * `= any` is planned for an array of unknown length, and a generic plan made while the table
 * was small (a prepared statement keeps it) scans the whole table on every call.
 */
function chainFrom(starts: RawBuilder<unknown>) {
  return sql`chain(start, id, merged_into, depth) as (
      select s.id, p.id, p.merged_into, 0 from (select distinct unnest(${starts}) as id) s
      cross join lateral (
        select p.id, p.merged_into from customers.profile p where p.id = s.id limit 1
      ) p
      union all
      select c.start, p.id, p.merged_into, c.depth + 1
      from chain c cross join lateral (
        select p.id, p.merged_into from customers.profile p where p.id = c.merged_into limit 1
      ) p
      where c.depth < 32
    )`
}

/**
 * Which surviving profile owns each identity (by `kind:value`); unknown identities are absent.
 * One statement: the owners (a primary-key lookup each, as in `chainFrom`), then each owner's
 * merge chain to its survivor (as `survivorsOf`).
 */
export async function ownersOf(tx: Tx<CustomersTables>, identities: readonly Identity[]): Promise<Map<string, string>> {
  return (await owning(tx, identities, null)).owners
}

/** A visit: when, and the name the customer gave (kept only when the profile has none). */
export type Seen = { at: Date; name: string | null }

/**
 * Marks the profile `id` names (a value or a sub-query) seen and fills a missing name, unless it
 * was merged away; answers its id. Takes the profile's row lock.
 */
export function touching(id: RawBuilder<unknown>, seen: Seen) {
  return sql`
    update customers.profile set last_seen_at = ${seen.at}, name = coalesce(name, ${seen.name}::text),
      updated_at = case when name is null and ${seen.name}::text is not null then ${seen.at}::timestamptz else updated_at end
    where id = ${id} and merged_into is null
    returning id`
}

/**
 * `ownersOf`, and in the same statement `touching` the owner of the first known identity in the
 * order given: `touched` is that profile's id, null when it was merged away meanwhile (the caller
 * looks again), undefined when no identity is known.
 */
export async function ownersTouchingFirst(
  tx: Tx<CustomersTables>,
  identities: readonly Identity[],
  seen: Seen,
): Promise<{ owners: Map<string, string>; touched: string | null | undefined }> {
  return owning(tx, identities, seen)
}

const owningStatement = statement((_db, p: { asked: [string, string][]; seen: Seen | null }) => {
  const asked = rowsOf('q', [['kind', 'text'], ['value', 'text']], p.asked, 'ord')
  const first = sql`(select profile_id from owners order by ord limit 1)`
  const touch = p.seen ? touching(first, p.seen) : null
  return sql<{ kind: string; value: string; profile_id: string; touched: string | null }>`
    with recursive owner as (
      select q.kind, q.value, i.profile_id, q.ord from ${asked}
      cross join lateral (
        select i.profile_id from customers.identity i where i.kind = q.kind and i.value = q.value limit 1
      ) i
    ), ${chainFrom(sql`array(select profile_id from owner)`)},
    owners as (
      select o.kind, o.value, coalesce(c.id, o.profile_id) as profile_id, o.ord
      from owner o left join chain c on c.start = o.profile_id and c.merged_into is null
    )${touch ? sql`, touched as (${touch})` : sql``}
    select kind, value, profile_id, ${touch ? sql`(select id from touched)` : sql`null::text`} as touched from owners`
})

async function owning(tx: Tx<CustomersTables>, identities: readonly Identity[], seen: Seen | null) {
  if (identities.length === 0) return { owners: new Map<string, string>(), touched: undefined }
  const asked = identities.map((i): [string, string] => [i.kind, i.value])
  const rows = await owningStatement.execute(tx, { asked, seen })
  const owners = new Map(rows.map((r) => [identityKey({ kind: r.kind as Identity['kind'], value: r.value }), r.profile_id]))
  return { owners, touched: rows.length === 0 ? undefined : (rows[0]!.touched ?? null) }
}
