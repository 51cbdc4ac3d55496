import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists channels`.execute(db)
  await db.schema
    .createTable('channels.channel')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('location', 'text')
    .addColumn('sells_from', sql`text[]`)
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
}
