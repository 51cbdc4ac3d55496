import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // The refund retry task scans only returns still owed money: a handful among all returns.
  await sql`create index return_refund_due on returns.return (updated_at)
            where refund_status <> 'refunded'`.execute(db)
}
