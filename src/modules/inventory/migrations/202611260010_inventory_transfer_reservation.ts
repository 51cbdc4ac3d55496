import type { Kysely } from 'kysely'

/**
 * A transfer may carry units an order has reserved (missing at a pick-up store, sent from
 * elsewhere): on receipt they are reserved for it again at the destination.
 */
export async function up(db: Kysely<any>) {
  await db.schema.alterTable('inventory.transfer').addColumn('reservation_id', 'text').execute()
  await db.schema
    .createIndex('transfer_reservation_idx')
    .on('inventory.transfer')
    .column('reservation_id')
    .where('reservation_id', 'is not', null)
    .execute()
  await db.schema
    .createIndex('transfer_to_idx')
    .on('inventory.transfer')
    .columns(['to_location', 'status', 'id'])
    .execute()
  await db.schema
    .createIndex('transfer_from_idx')
    .on('inventory.transfer')
    .columns(['from_location', 'status', 'id'])
    .execute()
}
