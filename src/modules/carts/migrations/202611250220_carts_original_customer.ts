import { sql, type Kysely } from 'kysely'

// customer_id follows merges to the surviving profile; original_customer_id keeps whose cart it
// was (null: the same as customer_id), so an unmerge can give it back.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table carts.cart add column original_customer_id text`.execute(db)
}
