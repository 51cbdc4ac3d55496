import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // Courier and curbside are recorded as given, no longer folded into ship and pickup.
  await sql`alter table orders.order drop constraint if exists order_fulfillment_method_check`.execute(
    db,
  )
  await sql`alter table orders.order add constraint order_fulfillment_method
    check (fulfillment_method in ('ship', 'courier', 'pickup', 'curbside'))`.execute(db)
  await sql`alter table orders.order add column vehicle text`.execute(db)
  // The sourcing plan with its rule and reason, as decided at placement.
  await sql`alter table orders.order add column sourcing jsonb`.execute(db)
  await sql`alter table orders.order add constraint order_shipping_nonnegative
    check (shipping_minor >= 0)`.execute(db)
  // Configuration owned by orders (the sourcing policy), one row per name.
  await db.schema
    .createTable('orders.setting')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('orders.shipping_rate')
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('ship', 'courier')`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor >= 0`))
    .addColumn('free_from_minor', 'bigint', (c) => c.check(sql`free_from_minor >= 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('shipping_rate_pk', ['method', 'currency'])
    .execute()
}
