import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists payments`.execute(db)
  await db.schema
    .createTable('payments.payment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('refunded_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider', 'text')
    .addColumn('provider_payment_id', 'text')
    .addColumn('card_last4', 'text')
    .addColumn('stored_value_code', 'text')
    .addColumn('failure_code', 'text')
    .addColumn('decline_code', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('channel', 'text')
    .addColumn('owner_key', 'text')
    .addColumn('request_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint(
      'payment_refund_within_amount',
      sql`refunded_minor between 0 and amount_minor`,
    )
    .execute()
  await db.schema
    .createIndex('payment_reference')
    .on('payments.payment')
    .column('reference')
    .execute()
  await db.schema
    .createIndex('payment_provider_id')
    .on('payments.payment')
    .column('provider_payment_id')
    .execute()
  await db.schema
    .createIndex('payment_request_key')
    .on('payments.payment')
    .columns(['owner_key', 'request_key'])
    .unique()
    .execute()

  await db.schema
    .createTable('payments.payment_event')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.payment.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('payment_event_payment')
    .on('payments.payment_event')
    .column('payment_id')
    .execute()

  await db.schema
    .createTable('payments.webhook_event')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_event_pk', ['provider', 'event_id'])
    .execute()

  await db.schema
    .createTable('payments.stored_value_account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('balance_minor', 'bigint', (c) => c.notNull().check(sql`balance_minor >= 0`))
    .addColumn('customer_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('payments.stored_value_entry')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('payments.stored_value_account.id'),
    )
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('channel', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('stored_value_entry_account')
    .on('payments.stored_value_entry')
    .column('account_id')
    .execute()
}
