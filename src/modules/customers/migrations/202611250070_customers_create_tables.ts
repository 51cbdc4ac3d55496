import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists customers`.execute(db)
  await db.schema
    .createTable('customers.profile')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('merged_into', 'text', (c) => c.references('customers.profile.id'))
    .addColumn('first_seen_channel', 'text')
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // Survivor lookups walk merged_into backwards too (who was merged into this profile).
  await sql`create index profile_merged_into_idx on customers.profile (merged_into)
    where merged_into is not null`.execute(db)

  await db.schema
    .createTable('customers.identity')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull().references('customers.profile.id'))
    .addColumn('is_primary', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('source_channel', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    // One owner per identity: the unique index is what makes concurrent resolves converge.
    .addPrimaryKeyConstraint('identity_pkey', ['kind', 'value'])
    .execute()
  await db.schema
    .createIndex('identity_profile_idx')
    .on('customers.identity')
    .columns(['profile_id', 'kind'])
    .execute()
}
