import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // Overrides of the defaults in merge-limits.ts: which identity kinds may join two profiles.
  await sql`
    create table customers.merge_rule (
      kind text primary key,
      may_merge boolean not null,
      note text
    )`.execute(db)

  // Every merge, with the identities that moved, so an unmerge can give exactly those back.
  await sql`
    create table customers.merge (
      id text primary key,
      survivor_id text not null references customers.profile (id),
      loser_id text not null references customers.profile (id),
      reason text not null,
      actor text not null,
      identities jsonb not null,
      merged_at timestamptz not null,
      unmerged_at timestamptz
    )`.execute(db)
  await sql`create index merge_pair_idx on customers.merge (survivor_id, loser_id)`.execute(db)
  await sql`create unique index merge_loser_open_idx on customers.merge (loser_id) where unmerged_at is null`.execute(db)

  // Merges the rules forbade, kept for a person to review.
  await sql`
    create table customers.merge_refusal (
      id text primary key,
      profile_ids text[] not null,
      identities jsonb not null,
      reason text not null,
      created_at timestamptz not null
    )`.execute(db)
  await sql`create unique index merge_refusal_pair_idx on customers.merge_refusal (profile_ids, reason)`.execute(db)
  await sql`create index merge_refusal_created_idx on customers.merge_refusal (created_at desc, id desc)`.execute(db)
}
