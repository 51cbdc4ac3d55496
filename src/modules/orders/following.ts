import type { Clock } from '../../kernel/clock.js'
import { crossModule, type AnyTx, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { FulfillmentChange, FulfillmentState, OrderFollower } from '../fulfillment/index.js'
import type { OrdersTables } from './db.js'
import { moveOrder, releaseHolds } from './lifecycle.js'
import { recordOrderEvent } from './placement.js'
import { findOrder } from './queries.js'
import { statesLeadingTo, type OrderStatus } from './states.js'

type OrdersTx = Tx<OrdersTables>

const closed: readonly FulfillmentState[] = ['cancelled', 'expired']
const done: readonly FulfillmentState[] = ['delivered', 'picked_up']
const gone: readonly FulfillmentState[] = ['shipped', 'delivered', 'picked_up']
// Goods leave only for an order whose payment is settled (or taken on delivery).
const handingOver: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered']

/**
 * The order status its fulfilments add up to: cancelled when none will be handed over,
 * delivered when every parcel still coming has arrived or been collected, shipped once one has
 * left; null while nothing has left yet.
 */
export function orderStatusOf(statuses: readonly FulfillmentState[]): OrderStatus | null {
  const open = statuses.filter((s) => !closed.includes(s))
  if (open.length === 0) return 'cancelled'
  if (open.every((s) => done.includes(s))) return 'delivered'
  if (open.some((s) => gone.includes(s))) return 'shipped'
  return null
}

/**
 * Follows one fulfilment's move in its transaction: refuses (`illegal-transition`) handing over
 * the goods of an order not confirmed (a card still being asked, a failed payment, a cancelled
 * order); moves the order to what its fulfilments add up to when the order's own table allows
 * it (guarded UPDATE), releasing its holds and appending `order.cancelled` when nothing will be
 * handed over, `order.shipped` / `order.delivered` otherwise; and always adds a timeline entry
 * `fulfillment_<state>`.
 */
async function followChange(tx: OrdersTx, clock: Clock, change: FulfillmentChange) {
  const order = await findOrder(tx, change.orderId)
  if (gone.includes(change.to) && !handingOver.includes(order.status))
    throw new DomainError(
      'illegal-transition',
      `Order ${order.number} is ${order.status}: its goods cannot be handed over`,
      { from: change.from, to: change.to, allowed: [], orderStatus: order.status },
    )
  const target = orderStatusOf(change.statuses)
  let status = order.status
  if (target && target !== order.status && statesLeadingTo(target).includes(order.status)) {
    const moved = await moveOrder(tx, clock, order.id, target)
    if (moved) {
      status = target
      if (target === 'cancelled') await releaseHolds(tx, clock, moved)
      await appendEvents(crossModule(tx), clock, [
        {
          name: `order.${target}`,
          version: 1,
          payload: { orderId: order.id, number: order.number, reason: `fulfillment ${change.to}` },
          channel: order.channel,
          profileId: order.customer_id,
        },
      ])
    }
  }
  await recordOrderEvent(tx, clock.now(), order.id, status, `fulfillment_${change.to}`, {
    fulfillmentId: change.fulfillmentId,
    location: change.location,
    by: change.actor,
    ...(change.carrier && { carrier: change.carrier, trackingNumber: change.trackingNumber }),
  })
}

/** The orders module's side of fulfilment, handed to it by `modules.ts`. */
export const orderFollower: OrderFollower = {
  async follow(tx: AnyTx, clock: Clock, changes: readonly FulfillmentChange[]) {
    // One per expired collection at most a batch: each order is its own guarded row.
    for (const change of changes) await followChange(tx, clock, change)
  },
}
