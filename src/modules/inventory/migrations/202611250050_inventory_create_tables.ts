import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  await sql`create schema if not exists inventory`.execute(db)
  // The checks are the last line of defence: every write is already guarded in its WHERE.
  await db.schema
    .createTable('inventory.stock_level')
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('on_hand', 'bigint', (c) => c.notNull())
    .addColumn('reserved', 'bigint', (c) => c.notNull().check(sql`reserved >= 0`))
    .addColumn('safety_stock', 'bigint', (c) => c.notNull().check(sql`safety_stock >= 0`))
    .addColumn('low_stock_threshold', 'bigint', (c) => c.check(sql`low_stock_threshold >= 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('stock_level_pk', ['sku', 'location'])
    .addCheckConstraint('stock_level_reserved_on_hand', sql`on_hand >= reserved`)
    .execute()
  await db.schema
    .createIndex('stock_level_location_idx')
    .on('inventory.stock_level')
    .columns(['location', 'sku'])
    .execute()

  await db.schema
    .createTable('inventory.ledger_entry')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`kind in ('receipt', 'sale', 'return', 'transfer_out', 'transfer_in', 'adjustment', 'count')`,
        ),
    )
    .addColumn('quantity', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('ledger_entry_sku_idx')
    .on('inventory.ledger_entry')
    .columns(['sku', 'id'])
    .execute()
  await db.schema
    .createIndex('ledger_entry_sku_location_idx')
    .on('inventory.ledger_entry')
    .columns(['sku', 'location', 'id'])
    .execute()

  await db.schema
    .createTable('inventory.reservation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('active', 'confirmed', 'released', 'expired')`),
    )
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // The expiry task's scan: only active rows, oldest deadline first.
  await sql`create index reservation_active_expiry_idx on inventory.reservation (expires_at)
    where status = 'active'`.execute(db)

  await db.schema
    .createTable('inventory.reservation_line')
    .addColumn('reservation_id', 'text', (c) =>
      c.notNull().references('inventory.reservation.id').onDelete('cascade'),
    )
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('quantity', 'bigint', (c) => c.notNull().check(sql`quantity > 0`))
    .addPrimaryKeyConstraint('reservation_line_pk', ['reservation_id', 'sku', 'location'])
    .execute()

  await db.schema
    .createTable('inventory.transfer')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('from_location', 'text', (c) => c.notNull())
    .addColumn('to_location', 'text', (c) => c.notNull())
    .addColumn('quantity', 'bigint', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('in_transit', 'received')`),
    )
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('transfer_sku_idx')
    .on('inventory.transfer')
    .columns(['sku', 'id'])
    .execute()
}
