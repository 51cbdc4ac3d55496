import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // An ordered cart is closed like a merged one, and remembers its order.
  await sql`alter table carts.cart drop constraint if exists cart_status_check`.execute(db)
  await sql`alter table carts.cart add constraint cart_status
    check (status in ('active', 'abandoned', 'merged', 'ordered'))`.execute(db)
  await sql`alter table carts.cart add column order_id text`.execute(db)
}
