import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { CustomersTables } from './db.js'
import type { Identity } from './identities.js'
import type { IdentityKind } from './schema.js'

export type RefusalReason = 'identity-kind-never-merges' | 'two-user-ids' | 'unmerged-before'

/** A device id names a device, and a store tablet is shared by many people: it never joins two. */
export const defaultNonMergingKinds: readonly IdentityKind[] = ['device_id']

/**
 * The kinds that may not join two profiles: the defaults, changed by rows of
 * `customers.merge_rule` (`may_merge` false adds a kind, true lets a default kind merge).
 */
export async function nonMergingKinds(tx: Tx<CustomersTables>): Promise<Set<string>> {
  const rows = await tx.selectFrom('customers.merge_rule').select(['kind', 'may_merge']).execute()
  const kinds = new Set<string>(defaultNonMergingKinds)
  for (const r of rows) r.may_merge ? kinds.delete(r.kind) : kinds.add(r.kind)
  return kinds
}

/** Whether the two profiles each carry a user_id: a person has one account, so they are two people. */
export async function wouldHaveTwoUserIds(tx: Tx<CustomersTables>, a: string, b: string): Promise<boolean> {
  const rows = await sql<{ n: number }>`
    select count(distinct profile_id)::int as n from customers.identity
    where kind = 'user_id' and profile_id in (${a}, ${b})`.execute(tx)
  return rows.rows[0]!.n > 1
}

/** Whether staff once unmerged these two: identity resolution must not join them again on its own. */
export async function wereUnmerged(tx: Tx<CustomersTables>, a: string, b: string): Promise<boolean> {
  const row = await tx
    .selectFrom('customers.merge')
    .select('id')
    .where('unmerged_at', 'is not', null)
    .where((eb) => eb.or([eb.and([eb('survivor_id', '=', a), eb('loser_id', '=', b)]), eb.and([eb('survivor_id', '=', b), eb('loser_id', '=', a)])]))
    .executeTakeFirst()
  return row !== undefined
}

export type Refusal = { profileIds: string[]; identities: readonly Identity[]; reason: RefusalReason }
