import { sql } from 'kysely'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import type { Subscriber } from '../../kernel/outbox/index.js'
import { mergedProfileIds, mergeFactNames, mergeFactsOf, type MergeFact } from '../customers/index.js'
import type { OrdersTables } from './db.js'

type OrdersTx = Tx<OrdersTables>

/** The checkpoint name of the subscriber; renaming it would replay every merge. */
export const orderMergeConsumer = 'orders.customer-merges'

/**
 * Keeps each order on the customer it belongs to now: a merge moves the loser's orders to the
 * survivor (remembering who placed them), an unmerge gives back the orders placed by the
 * restored profile or by profiles merged into it, from whichever profile holds them now.
 * One statement per fact, set-based over the orders it touches.
 */
export async function applyMergeFact(tx: OrdersTx, fact: MergeFact): Promise<void> {
  if (fact.kind === 'merged') {
    await sql`update orders.order set placed_customer_id = coalesce(placed_customer_id, customer_id), customer_id = ${fact.survivorId}
      where customer_id = ${fact.loserId}`.execute(tx)
    return
  }
  const holder = await mergedProfileIds(crossModule(tx), fact.survivorId)
  const restored = await mergedProfileIds(crossModule(tx), fact.loserId)
  await sql`update orders.order set customer_id = ${fact.loserId}
    where customer_id = any(${holder.ids}::text[]) and placed_customer_id = any(${restored.ids}::text[])`.execute(tx)
}

export function orderMergeSubscriber(): Subscriber {
  return {
    consumer: orderMergeConsumer,
    names: mergeFactNames,
    handle: async (events, tx) => {
      for (const fact of mergeFactsOf(events)) await applyMergeFact(tx, fact)
    },
  }
}
