import { sql } from 'kysely'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { getCustomer } from '../customers/index.js'
import type { SegmentsTables } from './db.js'
import type { Fact } from './facts.js'

type STx = Tx<SegmentsTables>

const text = (v: unknown) => (typeof v === 'string' ? v : null)

/**
 * Keeps this module's copies of which identity kinds and which consents a person has, from
 * `customer.identity_added` and `customer.consent_changed` facts: two statements per batch.
 * Answers which kinds of change the batch held ('identity', 'consent') for re-evaluation.
 */
export async function projectCustomerFacts(tx: STx, facts: readonly Fact[]): Promise<Set<string>> {
  const changed = new Set<string>()
  const kinds = facts.filter((f) => f.name === 'customer.identity_added' && text(f.properties.kind))
  if (kinds.length > 0) {
    changed.add('identity')
    await sql`
      insert into segments.identity_kind (profile_id, kind)
      select * from unnest(${kinds.map((f) => f.profileId)}::text[], ${kinds.map((f) => text(f.properties.kind))}::text[])
      on conflict do nothing`.execute(tx)
  }
  // The latest choice per (person, channel, purpose) in the batch: one upsert may touch a row once.
  const latest = new Map<string, Fact>()
  for (const f of facts) {
    if (f.name !== 'customer.consent_changed' || !text(f.properties.channel) || !text(f.properties.purpose) || !text(f.properties.status)) continue
    latest.set(`${f.profileId}\u0000${f.properties.channel}\u0000${f.properties.purpose}`, f)
  }
  const consents = [...latest.values()]
  if (consents.length > 0) {
    changed.add('consent')
    const col = (pick: (f: Fact) => unknown) => consents.map(pick)
    await sql`
      insert into segments.consent as c (profile_id, channel, purpose, status, changed_at)
      select * from unnest(${col((f) => f.profileId)}::text[], ${col((f) => f.properties.channel)}::text[],
        ${col((f) => f.properties.purpose)}::text[], ${col((f) => f.properties.status)}::text[],
        ${col((f) => f.occurredAt.toISOString())}::timestamptz[])
      on conflict (channel, purpose, profile_id) do update set status = excluded.status, changed_at = excluded.changed_at
      where excluded.changed_at >= c.changed_at`.execute(tx)
  }
  return changed
}

/**
 * Replaces the copies for these profiles with what the customers module holds now: after a
 * merge or an unmerge, identities and consents have moved by its rules, which are not repeated here.
 */
export async function reloadCustomerFacts(tx: STx, profileIds: readonly string[]): Promise<void> {
  for (const id of profileIds) {
    await sql`delete from segments.identity_kind where profile_id = ${id}`.execute(tx)
    await sql`delete from segments.consent where profile_id = ${id}`.execute(tx)
  }
  const customers = await Promise.all(profileIds.map((id) => getCustomer(crossModule(tx), id).catch(() => null)))
  for (const customer of customers) {
    if (!customer || !profileIds.includes(customer.id)) continue
    const kinds = [...new Set(customer.identities.map((i) => i.kind))]
    if (kinds.length > 0) {
      await sql`
        insert into segments.identity_kind (profile_id, kind)
        select ${customer.id}, kind from unnest(${kinds}::text[]) as k(kind) on conflict do nothing`.execute(tx)
    }
    for (const c of customer.consents) {
      await sql`
        insert into segments.consent (profile_id, channel, purpose, status, changed_at)
        values (${customer.id}, ${c.channel}, ${c.purpose}, ${c.status}, ${c.changedAt}::timestamptz)
        on conflict (channel, purpose, profile_id) do update set status = excluded.status, changed_at = excluded.changed_at`.execute(tx)
    }
  }
}
