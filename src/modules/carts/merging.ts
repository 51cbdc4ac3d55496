import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents, type Subscriber } from '../../kernel/outbox/index.js'
import { mergedProfileIds, mergeFactNames, mergeFactsOf } from '../customers/index.js'
import { lockCustomerCarts, openCartOf, touchOpenCart } from './carts.js'
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
 * Each moved cart remembers whose it was (`original_customer_id`) for an unmerge.
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
  await sql`update carts.cart set original_customer_id = coalesce(original_customer_id, customer_id), customer_id = ${survivorId}
    where customer_id = ${loserId} and status not in ('active', 'abandoned')`.execute(tx)
  if (!from) return
  if (!into) {
    await sql`update carts.cart set original_customer_id = coalesce(original_customer_id, customer_id), customer_id = ${survivorId}
      where id = ${from.id}`.execute(tx)
    const owned = await touchOpenCart(tx, clock, from.id)
    await appendEvents(crossModule(tx), clock, [cartUpdated(owned, owned.channel, 'identified')])
    return
  }
  await mergeLines(tx, clock, from, into, 'into-wins')
  const survivor = await touchOpenCart(tx, clock, into.id)
  await appendEvents(crossModule(tx), clock, [cartMerged(from, survivor, from.channel), cartUpdated(survivor, from.channel, 'merged_in')])
}

/**
 * A wrong merge is undone: the carts that were the restored profile's (or those merged into it)
 * go back to it from whichever profile holds them now. Its open cart that had been folded into
 * the survivor's open cart is reopened with its own lines, each taken back out of the survivor's
 * cart at most as far as the survivor's cart still holds it — so nothing is lost or counted twice
 * even when the customer changed the cart since. A folded cart whose survivor's cart was ordered
 * since stays closed: those items were bought.
 */
export async function splitCustomerCarts(tx: CartsTx, clock: Clock, survivorId: string, loserId: string): Promise<void> {
  for (const id of [survivorId, loserId].sort()) await lockCustomerCarts(tx, id)
  const [holder, restored] = await Promise.all([
    mergedProfileIds(crossModule(tx), survivorId),
    mergedProfileIds(crossModule(tx), loserId),
  ])
  const givenBack = await sql<{ id: string }>`
    update carts.cart set customer_id = ${restored.survivor}
    where customer_id = any(${holder.ids}::text[]) and original_customer_id = any(${restored.ids}::text[])
    returning id`.execute(tx)
  const ids = givenBack.rows.map((r) => r.id)
  const into = await openCartOf(tx, holder.survivor)
  if (ids.length === 0 || !into || (await openCartOf(tx, restored.survivor))) return
  const folded = await tx
    .selectFrom('carts.cart')
    .selectAll()
    .where('merged_into', '=', into.id)
    .where('id', 'in', ids)
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst()
  if (!folded) return
  // Per SKU, the folded cart takes back min(what it brought, what the survivor's cart has now).
  await sql`
    with brought as (
      select f.sku, least(f.quantity, coalesce(i.quantity, 0)) as back
      from carts.cart_line f left join carts.cart_line i on i.cart_id = ${into.id} and i.sku = f.sku
      where f.cart_id = ${folded.id}
    ), kept as (
      update carts.cart_line l set quantity = b.back, updated_at = ${clock.now()}
      from brought b where l.cart_id = ${folded.id} and l.sku = b.sku and b.back > 0
    ), taken as (
      update carts.cart_line l set quantity = l.quantity - b.back, updated_at = ${clock.now()}
      from brought b where l.cart_id = ${into.id} and l.sku = b.sku and b.back > 0 and l.quantity > b.back
    ), emptied as (
      delete from carts.cart_line l using brought b
      where l.cart_id = ${into.id} and l.sku = b.sku and b.back > 0 and l.quantity <= b.back
    )
    delete from carts.cart_line l using brought b where l.cart_id = ${folded.id} and l.sku = b.sku and b.back = 0`.execute(tx)
  await tx.updateTable('carts.cart').set({ status: 'active', merged_into: null }).where('id', '=', folded.id).execute()
  const [reopened, left] = [await touchOpenCart(tx, clock, folded.id), await touchOpenCart(tx, clock, into.id)]
  await appendEvents(crossModule(tx), clock, [
    cartUpdated(reopened, reopened.channel, 'split_off'),
    cartUpdated(left, left.channel, 'split_off'),
  ])
}

/** Keeps carts on the profile they belong to through every merge and unmerge. */
export function cartMergeSubscriber(clock: Clock): Subscriber {
  return {
    consumer: cartMergeConsumer,
    names: mergeFactNames,
    handle: async (events, tx) => {
      for (const fact of mergeFactsOf(events)) {
        if (fact.kind === 'merged') await foldCustomerCarts(tx, clock, fact.survivorId, fact.loserId)
        else await splitCustomerCarts(tx, clock, fact.survivorId, fact.loserId)
      }
    },
  }
}
