import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { Subscriber } from '../../kernel/outbox/index.js'
import { mergeFactNames, mergeFactsOf } from '../customers/index.js'
import type { PromotionsTables } from './db.js'

/** The checkpoint name of the subscriber; renaming it would replay every merge. */
export const promotionMergeConsumer = 'promotions.customer-merges'

/**
 * Per-customer limits count one person once: a merge adds the loser's uses of each promotion to
 * the survivor's and re-points the redemptions. Unmerges leave the counts with the survivor,
 * which errs on the side of the limit.
 */
export async function foldCustomerUsage(tx: Tx<PromotionsTables>, survivorId: string, loserId: string): Promise<void> {
  await sql`
    with moved as (delete from promotions.customer_usage where customer_id = ${loserId} returning promotion_id, used)
    insert into promotions.customer_usage as u (promotion_id, customer_id, used)
    select promotion_id, ${survivorId}, used from moved
    on conflict (promotion_id, customer_id) do update set used = u.used + excluded.used`.execute(tx)
  await sql`update promotions.redemption set customer_id = ${survivorId} where customer_id = ${loserId}`.execute(tx)
}

export function promotionMergeSubscriber(): Subscriber {
  return {
    consumer: promotionMergeConsumer,
    names: mergeFactNames,
    handle: async (events, tx) => {
      for (const fact of mergeFactsOf(events)) {
        if (fact.kind === 'merged') await foldCustomerUsage(tx, fact.survivorId, fact.loserId)
      }
    },
  }
}
