import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // A return sent by post is announced first and received later; until then nothing is
  // restocked or refunded. Returns taken before this change were received when taken.
  await sql`alter table returns.return add column received_at timestamptz`.execute(db)
  await sql`update returns.return set received_at = created_at`.execute(db)
  await sql`alter table returns.return
    add column refund_wanted text not null default 'original'
      check (refund_wanted in ('original', 'store_credit'))`.execute(db)
  await sql`alter table returns.return drop constraint return_refund_status_check`.execute(db)
  await sql`alter table returns.return add constraint return_refund_status_check
    check (refund_status in ('awaiting_goods', 'pending', 'refunding', 'refunded'))`.execute(db)
  // The parcels still expected are a handful among all returns.
  await sql`create index return_awaiting_goods on returns.return (id)
            where received_at is null`.execute(db)
  await sql`alter table returns.return add constraint return_awaits_only_by_post
    check (received_at is not null or (by_post and refund_status = 'awaiting_goods'))`.execute(db)
}
