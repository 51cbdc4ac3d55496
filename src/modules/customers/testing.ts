import { sql, type Kysely } from 'kysely'

/** Test helpers for customer suites; production code never imports this file. */

export type OwnerRow = { kind: string; value: string; profile_id: string; is_primary: boolean }

/** Every stored identity with its owning profile. */
export async function identityOwners(db: Kysely<any>): Promise<OwnerRow[]> {
  const rows = await sql<OwnerRow>`
    select kind, value, profile_id, is_primary from customers.identity order by kind, value`.execute(db)
  return rows.rows
}

export async function profileCount(db: Kysely<any>): Promise<number> {
  const rows = await sql<{ n: number }>`select count(*)::int as n from customers.profile`.execute(db)
  return rows.rows[0]!.n
}

/** Events the customers module appended, oldest first. */
export async function customerEvents(db: Kysely<any>) {
  const rows = await sql<{ name: string; payload: Record<string, unknown>; channel: string | null; profile_id: string | null }>`
    select name, payload, channel, profile_id from kernel.outbox where name like 'customer.%' order by id`.execute(db)
  return rows.rows
}

/**
 * Folds `loser` into `survivor` as identity resolution will (marks it merged and moves its
 * identities), so suites can check that readers follow `merged_into` before merging exists.
 */
export async function simulateMerge(db: Kysely<any>, loser: string, survivor: string): Promise<void> {
  await sql`update customers.identity set profile_id = ${survivor}, is_primary = false where profile_id = ${loser}`.execute(db)
  await sql`update customers.profile set merged_into = ${survivor} where id = ${loser}`.execute(db)
}

/** Rows in the consent tables and consent events in the outbox, to show a refusal wrote nothing. */
export async function consentCounts(db: Kysely<any>) {
  const rows = await sql<{ events: number; current: number; preferences: number; outbox: number }>`
    select (select count(*)::int from customers.consent_event) as events,
           (select count(*)::int from customers.consent) as current,
           (select count(*)::int from customers.preference) as preferences,
           (select count(*)::int from kernel.outbox where name in ('customer.consent_changed', 'customer.preferences_changed')) as outbox`.execute(db)
  return rows.rows[0]!
}
