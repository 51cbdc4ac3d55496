import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists orders`.execute(db)
  // A sequence hands out numbers without locking: concurrent placements never queue on it.
  await sql`create sequence orders.order_number start with 1001`.execute(db)
  await db.schema
    .createTable('orders.order')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'bigint', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending_payment', 'confirmed', 'shipped', 'delivered',
        'payment_failed', 'cancelled')`),
    )
    .addColumn('channel', 'text')
    .addColumn('touchpoint', 'text', (c) => c.notNull())
    .addColumn('store', 'text')
    .addColumn('staff', 'text')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('subtotal_minor', 'bigint', (c) => c.notNull())
    .addColumn('discount_minor', 'bigint', (c) => c.notNull())
    .addColumn('shipping_minor', 'bigint', (c) => c.notNull())
    .addColumn('total_minor', 'bigint', (c) => c.notNull().check(sql`total_minor >= 0`))
    .addColumn('fulfillment_method', 'text', (c) =>
      c.notNull().check(sql`fulfillment_method in ('ship', 'pickup')`),
    )
    .addColumn('fulfillment_location', 'text')
    .addColumn('address', 'jsonb')
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull())
    .addColumn('reservation_id', 'text', (c) => c.notNull())
    .addColumn('coupon', 'text')
    .addColumn('cart_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // A customer's orders and the staff list (by channel or status), newest first.
  await sql`create index order_customer on orders.order (customer_id, id desc)`.execute(db)
  await sql`create index order_channel on orders.order (channel, id desc)`.execute(db)
  await sql`create index order_status on orders.order (status, id desc)`.execute(db)
  await db.schema
    .createTable('orders.order_line')
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.order.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_minor', 'bigint', (c) => c.notNull())
    .addColumn('discount_minor', 'bigint', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_line_pk', ['order_id', 'seq'])
    .execute()
  await db.schema
    .createTable('orders.order_event')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.order.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`create index order_event_order on orders.order_event (order_id, id)`.execute(db)
}
