import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists fulfillment`.execute(db)
  await db.schema
    .createTable('fulfillment.fulfillment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('order_number', 'bigint', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('reservation_id', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull())
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text')
    .addColumn('tracking_number', 'text')
    .addColumn('payment_due', 'text')
    .addColumn('ready_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('fulfillment_order_location', ['order_id', 'location'])
    .execute()
  // The clerk's pick list: a store's fulfilments in one state, oldest first.
  await db.schema
    .createIndex('fulfillment_location_status')
    .on('fulfillment.fulfillment')
    .columns(['location', 'status', 'id'])
    .execute()
  // The expiry task's scan: only the rows waiting at a store.
  await sql`create index fulfillment_ready_at on fulfillment.fulfillment (ready_at)
    where status = 'ready_for_pickup'`.execute(db)
  await sql`create index fulfillment_payment_due on fulfillment.fulfillment (id)
    where payment_due is not null`.execute(db)
  await db.schema
    .createTable('fulfillment.fulfillment_line')
    .addColumn('fulfillment_id', 'text', (c) =>
      c.notNull().references('fulfillment.fulfillment.id').onDelete('cascade'),
    )
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('fulfillment_line_pkey', ['fulfillment_id', 'sku'])
    .execute()
}
