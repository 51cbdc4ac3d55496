import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists carts`.execute(db)
  await db.schema
    .createTable('carts.cart')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text')
    .addColumn('anonymous_id', 'text')
    .addColumn('channel', 'text')
    .addColumn('currency', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'abandoned', 'merged')`))
    .addColumn('merged_into', 'text', (c) => c.references('carts.cart.id'))
    .addColumn('fulfillment_method', 'text', (c) =>
      c.notNull().check(sql`fulfillment_method in ('ship', 'courier', 'pickup', 'curbside')`),
    )
    .addColumn('fulfillment_location', 'text')
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull())
    .addColumn('abandoned_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('cart_has_owner', sql`customer_id is not null or anonymous_id is not null`)
    .execute()
  // One open cart per customer, and per anonymous visitor not yet identified.
  await sql`create unique index cart_open_customer on carts.cart (customer_id)
    where status in ('active', 'abandoned')`.execute(db)
  await sql`create unique index cart_open_anonymous on carts.cart (anonymous_id)
    where status in ('active', 'abandoned') and customer_id is null`.execute(db)
  // The abandonment sweep looks for active carts idle the longest.
  await sql`create index cart_active_idle on carts.cart (last_activity_at) where status = 'active'`.execute(db)
  await sql`create index cart_merged_into on carts.cart (merged_into) where merged_into is not null`.execute(db)
  await db.schema
    .createTable('carts.cart_line')
    .addColumn('cart_id', 'text', (c) => c.notNull().references('carts.cart.id'))
    // Lines list in the order first added; a summed addition keeps its place.
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('cart_line_pk', ['cart_id', 'sku'])
    .execute()
}
