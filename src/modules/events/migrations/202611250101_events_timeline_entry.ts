import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // Omnia's own domain facts about a person, copied from the outbox by the `events.timeline`
  // subscriber. Tracked (Segment) events stay in events.event; the timeline reads both.
  await db.schema
    .createTable('events.timeline_entry')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The outbox event it copies: unique, so a redelivered event is stored once.
    .addColumn('outbox_event_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('profile_id', 'text')
    // For facts about an anonymous visitor (a cart before they identify): the timeline of the
    // profile that later owns this anonymous id includes them.
    .addColumn('anonymous_id', 'text')
    .addColumn('properties', 'jsonb', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`create index timeline_entry_profile_idx on events.timeline_entry (profile_id, occurred_at desc, id desc)`.execute(db)
  await sql`
    create index timeline_entry_anonymous_idx on events.timeline_entry (anonymous_id, occurred_at desc, id desc)
    where profile_id is null`.execute(db)
}
