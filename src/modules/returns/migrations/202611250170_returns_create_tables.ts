import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists returns`.execute(db)
  // A sequence hands out numbers without locking: concurrent returns never queue on it.
  await sql`create sequence returns.return_number start with 5001`.execute(db)
  await db.schema
    .createTable('returns.policy')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id = 'default'`))
    .addColumn('window_days', 'integer', (c) => c.notNull().check(sql`window_days >= 0`))
    .addColumn('accepted_conditions', sql`text[]`, (c) => c.notNull())
    .addColumn('quarantine_conditions', sql`text[]`, (c) => c.notNull())
    .addColumn('id_proof_channel_kinds', sql`text[]`, (c) => c.notNull())
    .addColumn('non_returnable_categories', sql`text[]`, (c) => c.notNull())
    .addColumn('quarantine_location', 'text')
    .addColumn('post_location', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('returns.return')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'bigint', (c) => c.notNull().unique())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('order_number', 'bigint', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('touchpoint', 'text', (c) => c.notNull())
    .addColumn('store', 'text')
    .addColumn('staff', 'text')
    .addColumn('location', 'text')
    .addColumn('by_post', 'boolean', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('value_minor', 'bigint', (c) => c.notNull().check(sql`value_minor >= 0`))
    .addColumn('refund_minor', 'bigint', (c) => c.notNull().check(sql`refund_minor >= 0`))
    .addColumn('refund_method', 'text', (c) =>
      c
        .notNull()
        .check(sql`refund_method in ('card', 'cash', 'stored_value', 'store_credit', 'none')`),
    )
    .addColumn('refund_status', 'text', (c) =>
      c.notNull().check(sql`refund_status in ('pending', 'refunding', 'refunded')`),
    )
    .addColumn('refund_payment_id', 'text')
    .addColumn('store_credit_code', 'text')
    .addColumn('exchange_order_id', 'text')
    .addColumn('exchange_applied_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('exchange_credit_code', 'text')
    .addColumn('extra_payment_id', 'text')
    .addColumn('refunded_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // An order's returns, a customer's, a store's desk, newest first.
  await sql`create index return_order on returns.return (order_id, id desc)`.execute(db)
  await sql`create index return_customer on returns.return (customer_id, id desc)`.execute(db)
  await sql`create index return_location on returns.return (location, id desc)`.execute(db)
  await db.schema
    .createTable('returns.return_line')
    .addColumn('return_id', 'text', (c) => c.notNull().references('returns.return.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('condition', 'text', (c) => c.notNull())
    .addColumn('disposition', 'text', (c) =>
      c.notNull().check(sql`disposition in ('restocked', 'quarantined')`),
    )
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('refund_minor', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('return_line_pk', ['return_id', 'seq'])
    .execute()
  await db.schema
    .createTable('returns.returned_quantity')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity >= 0`))
    .addPrimaryKeyConstraint('returned_quantity_pk', ['order_id', 'sku'])
    .execute()
}
