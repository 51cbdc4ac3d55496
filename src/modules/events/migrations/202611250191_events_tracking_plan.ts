import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // The plan's default mode: one row at most (no row: `record`).
  await sql`
    create table events.tracking_plan (
      id boolean primary key default true check (id),
      mode text not null check (mode in ('record', 'reject')),
      updated_at timestamptz not null
    )`.execute(db)
  await sql`
    create table events.tracking_schema (
      event text primary key,
      schema jsonb not null,
      -- null: the plan's default mode.
      mode text check (mode in ('record', 'reject')),
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db)
  // Events stored despite breaking their schema (record mode); rejected ones are never stored.
  await sql`
    create table events.tracking_violation (
      id text primary key,
      event_id text not null references events.event (id),
      event text not null,
      message_id text not null,
      channel text,
      errors jsonb not null,
      received_at timestamptz not null
    )`.execute(db)
  await sql`create index tracking_violation_event_idx on events.tracking_violation (event, received_at desc, id desc)`.execute(db)
  await sql`create index tracking_violation_event_id_idx on events.tracking_violation (event_id)`.execute(db)
}
