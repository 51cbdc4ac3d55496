import type { Kysely } from 'kysely'

/** The store of the touchpoint (or staff key) that made a reservation: a POS stamps its shop. */
export async function up(db: Kysely<any>) {
  await db.schema.alterTable('inventory.reservation').addColumn('store', 'text').execute()
}
