import { sql, type Kysely } from 'kysely'

// The coupon code applied to the cart (in capitals), checked again on every view and at placement.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table carts.cart add column coupon text`.execute(db)
}
