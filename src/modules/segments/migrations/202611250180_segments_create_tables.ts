import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists segments`.execute(db)
  // The profiles this module knows of (from any fact about them): the universe a full recompute
  // and a `not` rule range over. A merged-away profile keeps its row with `merged_into` set.
  await sql`
    create table segments.profile (
      id text primary key,
      merged_into text,
      first_seen_at timestamptz not null
    )`.execute(db)
  await sql`create index profile_merged_into_idx on segments.profile (merged_into)`.execute(db)
  await sql`create index profile_live_idx on segments.profile (id) where merged_into is null`.execute(db)

  // Every behaviour fact about a person, with the profile it named when it arrived (never
  // rewritten): new trait definitions are back-filled and unmerged profiles rebuilt from it.
  await sql`
    create table segments.fact (
      source text primary key,
      profile_id text not null,
      name text not null,
      channel text,
      occurred_at timestamptz not null,
      properties jsonb not null
    )`.execute(db)
  await sql`create index fact_profile_idx on segments.fact (profile_id, occurred_at)`.execute(db)
  await sql`create index fact_name_idx on segments.fact (name, occurred_at)`.execute(db)

  // How often each person did each thing per UTC day and channel ('' = none): behaviour rules read
  // these few rows instead of raw events. Leading on (name, day) for a full recompute's range scan.
  await sql`
    create table segments.daily_count (
      name text not null,
      day date not null,
      channel text not null,
      profile_id text not null,
      occurrences integer not null,
      primary key (name, day, channel, profile_id)
    )`.execute(db)
  await sql`create index daily_count_profile_idx on segments.daily_count (profile_id, name, day)`.execute(db)

  // One row per person and trait: the aggregate's mergeable state and its current value.
  await sql`
    create table segments.trait_state (
      profile_id text not null,
      trait text not null,
      n bigint not null default 0,
      total numeric,
      low numeric,
      high numeric,
      first_at timestamptz,
      first_value jsonb,
      last_at timestamptz,
      last_value jsonb,
      tally jsonb not null default '{}',
      latest jsonb not null default '{}',
      value jsonb,
      updated_at timestamptz not null,
      primary key (profile_id, trait)
    )`.execute(db)
  await sql`create index trait_state_trait_idx on segments.trait_state (trait, profile_id)`.execute(db)

  await sql`
    create table segments.trait_definition (
      name text primary key,
      definition jsonb not null,
      created_at timestamptz not null,
      backfilled_at timestamptz
    )`.execute(db)

  // Copies of customers' facts that rules test, kept from `customer.*` events.
  await sql`
    create table segments.identity_kind (
      profile_id text not null,
      kind text not null,
      primary key (kind, profile_id)
    )`.execute(db)
  await sql`create index identity_kind_profile_idx on segments.identity_kind (profile_id)`.execute(db)
  await sql`
    create table segments.consent (
      profile_id text not null,
      channel text not null,
      purpose text not null,
      status text not null,
      changed_at timestamptz not null,
      primary key (channel, purpose, profile_id)
    )`.execute(db)
  await sql`create index consent_profile_idx on segments.consent (profile_id)`.execute(db)

  await sql`
    create table segments.segment (
      id text primary key,
      name text not null,
      description text,
      rule jsonb not null,
      -- What the rule reads ('event:<name>', 'trait:<name>', 'identity', 'consent', 'segment:<id>'):
      -- an arriving fact re-evaluates only the segments that read it.
      depends_on text[] not null,
      -- Reads a window relative to now: the daily task re-evaluates it as days pass.
      is_time_relative boolean not null,
      -- Length of the longest chain of segments it reads: lower ranks are evaluated first.
      rank integer not null,
      evaluated_on date,
      member_count integer not null default 0,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db)
  await sql`
    create table segments.membership (
      -- No foreign key: checking it per row is a fifth of a million-member recompute; a deleted
      -- segment's members are deleted with it (deleteSegment).
      segment_id text not null,
      profile_id text not null,
      entered_at timestamptz not null,
      primary key (segment_id, profile_id)
    )`.execute(db)
  await sql`create index membership_profile_idx on segments.membership (profile_id)`.execute(db)
  // No (segment, entered_at) index: members are listed in profile id order along the primary key,
  // and every index more costs a full recompute that enters a million people one more B-tree.
  // Every entry and exit: counts over time are running sums of it.
  await sql`
    create table segments.membership_change (
      segment_id text not null,
      day date not null,
      entered integer not null,
      exited integer not null,
      primary key (segment_id, day)
    )`.execute(db)

  // Daily chores done (RFM recency bands move with time): one row per chore.
  await sql`create table segments.chore (name text primary key, done_on date not null)`.execute(db)
}
