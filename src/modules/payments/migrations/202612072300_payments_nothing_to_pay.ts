import { sql, type Kysely } from 'kysely'

// An order whose discounts cover everything, with free shipping, records a payment of nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table payments.payment
      drop constraint payment_amount_minor_check,
      add constraint payment_amount_minor_check check (amount_minor >= 0)`.execute(db)
}
