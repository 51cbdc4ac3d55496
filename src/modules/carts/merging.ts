import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents, type Subscriber } from '../../kernel/outbox/index.js'
import { mergeFactNames, mergeFactsOf } from '../customers/index.js'
import { lockCustomerCarts, touchOpenCart } from './carts.js'
import type { CartsTables } from './db.js'
import { cartMerged, cartUpdated } from './events.js'
import { mergeLines } from './identify.js'

type CartsTx = Tx<CartsTables>

/** The checkpoint name of the subscriber; renaming it would replay every merge. */
export const cartMergeConsumer = 'carts.customer-merges'

/**
 * Two profiles became one: the loser's open cart joins the survivor's (quantities summed, the
 * survivor's currency kept) or, when the survivor has none, becomes theirs; the loser's closed
 * carts are re-pointed too, so the customer's history is whole. Both customers' cart locks are
 * taken in id order, the order createCart and identifyCart use one at a time, so no cycle forms.
 * An unmerge leaves carts where they are: summed lines cannot be told apart again.
 */
export async function foldCustomerCarts(tx: CartsTx, clock: Clock, survivorId: string, loserId: string): Promise<void> {
  for (const id of [survivorId, loserId].sort()) await lockCustomerCarts(tx, id)
  // Row locks too: a line being added to either cart right now lands before the move or after it.
  const open = await tx
    .selectFrom('carts.cart')
    .selectAll()
    .where('customer_id', 'in', [survivorId, loserId])
    .where('status', 'in', ['active', 'abandoned'])
    .orderBy('id')
    .forUpdate()
    .execute()
  const from = open.find((c) => c.customer_id === loserId)
  const into = open.find((c) => c.customer_id === survivorId)
  await sql`update carts.cart set customer_id = ${survivorId}
    where customer_id = ${loserId} and status not in ('active', 'abandoned')`.execute(tx)
  if (!from) return
  if (!into) {
    await tx.updateTable('carts.cart').set({ customer_id: survivorId }).where('id', '=', from.id).execute()
    const owned = await touchOpenCart(tx, clock, from.id)
    await appendEvents(crossModule(tx), clock, [cartUpdated(owned, owned.channel, 'identified')])
    return
  }
  await mergeLines(tx, clock, from, into, 'into-wins')
  const survivor = await touchOpenCart(tx, clock, into.id)
  await appendEvents(crossModule(tx), clock, [cartMerged(from, survivor, from.channel), cartUpdated(survivor, from.channel, 'merged_in')])
}

/** Keeps carts on the surviving profile of every merge. */
export function cartMergeSubscriber(clock: Clock): Subscriber {
  return {
    consumer: cartMergeConsumer,
    names: mergeFactNames,
    handle: async (events, tx) => {
      for (const fact of mergeFactsOf(events)) {
        if (fact.kind === 'merged') await foldCustomerCarts(tx, clock, fact.survivorId, fact.loserId)
      }
    },
  }
}
