import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists locations`.execute(db)
  await db.schema
    .createTable('locations.location')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('warehouse', 'store', 'dark_store')`))
    .addColumn('address', 'jsonb', (c) => c.notNull())
    .addColumn('lat', 'double precision', (c) => c.notNull())
    .addColumn('lng', 'double precision', (c) => c.notNull())
    .addColumn('ship_from', 'boolean', (c) => c.notNull())
    .addColumn('pickup', 'boolean', (c) => c.notNull())
    .addColumn('accept_returns', 'boolean', (c) => c.notNull())
    .addColumn('opening_hours', 'jsonb')
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
}
