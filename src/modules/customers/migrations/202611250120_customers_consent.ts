import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // History first: every opt-in or opt-out as recorded, never updated or deleted (it is the proof).
  await sql`
    create table customers.consent_event (
      id bigint generated always as identity primary key,
      profile_id text not null references customers.profile (id),
      channel text not null,
      purpose text not null,
      status text not null check (status in ('opted_in', 'opted_out')),
      source text not null,
      source_channel text,
      recorded_by text not null,
      proof jsonb,
      occurred_at timestamptz not null
    )`.execute(db)
  await sql`create index consent_event_profile_idx on customers.consent_event (profile_id, id)`.execute(db)

  // The current state per (profile, channel, purpose), kept in the same transaction as the history.
  await sql`
    create table customers.consent (
      profile_id text not null references customers.profile (id),
      channel text not null,
      purpose text not null,
      status text not null check (status in ('opted_in', 'opted_out')),
      source text not null,
      source_channel text,
      recorded_by text not null,
      proof jsonb,
      changed_at timestamptz not null,
      primary key (profile_id, channel, purpose)
    )`.execute(db)

  await sql`
    create table customers.preference (
      profile_id text primary key references customers.profile (id),
      preferred_channel text,
      language text,
      quiet_start text,
      quiet_end text,
      time_zone text,
      updated_at timestamptz not null,
      -- Quiet hours are all three or none.
      check ((quiet_start is null) = (quiet_end is null) and (quiet_start is null) = (time_zone is null))
    )`.execute(db)
}
