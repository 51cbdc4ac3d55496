import { sql, type Kysely } from 'kysely'

// customer_id follows merges to the surviving profile; placed_customer_id keeps who placed the
// order (null: the same as customer_id), so an unmerge can give the order back.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table orders.order add column placed_customer_id text`.execute(db)
}
