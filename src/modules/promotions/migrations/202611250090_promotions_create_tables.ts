import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists promotions`.execute(db)
  await db.schema
    .createTable('promotions.promotion')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('discount_type', 'text', (c) => c.notNull())
    .addColumn('percent_off', 'integer')
    .addColumn('amount_off_minor', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('target_kind', 'text', (c) => c.notNull())
    .addColumn('target_codes', sql`text[]`, (c) => c.notNull())
    .addColumn('min_spend_minor', 'bigint')
    .addColumn('starts_at', 'timestamptz')
    .addColumn('ends_at', 'timestamptz')
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('stackable', 'boolean', (c) => c.notNull())
    .addColumn('usage_limit', 'integer')
    .addColumn('per_customer_limit', 'integer')
    // The total-limit guard: redeem increments it with `where used < usage_limit`.
    .addColumn('used', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`used >= 0`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // Every cart evaluation reads the automatic promotions that are switched on.
  await sql`create index promotion_automatic_idx on promotions.promotion (id)
    where trigger = 'automatic' and active`.execute(db)

  // One namespace for every code: a promotion's shared code and its single-use codes.
  await db.schema
    .createTable('promotions.coupon_code')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('promotion_id', 'text', (c) => c.notNull().references('promotions.promotion.id'))
    .addColumn('single_use', 'boolean', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('redeemed_at', 'timestamptz')
    .addColumn('order_ref', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('coupon_code_promotion_idx')
    .on('promotions.coupon_code')
    .column('promotion_id')
    .execute()

  // The per-customer guard: one row per (promotion, customer), incremented with `where used < limit`.
  await db.schema
    .createTable('promotions.customer_usage')
    .addColumn('promotion_id', 'text', (c) => c.notNull().references('promotions.promotion.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull().check(sql`used >= 0`))
    .addPrimaryKeyConstraint('customer_usage_pkey', ['promotion_id', 'customer_id'])
    .execute()

  await db.schema
    .createTable('promotions.redemption')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('promotion_id', 'text', (c) => c.notNull().references('promotions.promotion.id'))
    .addColumn('code', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('order_ref', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('released_at', 'timestamptz')
    .execute()
  // An order redeems a promotion once: a retried redeem finds the row and counts nothing twice.
  await sql`create unique index redemption_order_promotion_idx
    on promotions.redemption (order_ref, promotion_id) where released_at is null`.execute(db)
  await db.schema
    .createIndex('redemption_promotion_idx')
    .on('promotions.redemption')
    .column('promotion_id')
    .execute()
}
