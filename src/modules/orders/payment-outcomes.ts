import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import type { Subscriber } from '../../kernel/outbox/index.js'
import { abandonPendingPayment, getPayment } from '../payments/index.js'
import type { OrdersTables } from './db.js'
import { settleOrderPayment } from './lifecycle.js'

type OrdersTx = Tx<OrdersTables>

/** The checkpoint name of the subscriber; renaming it would replay every payment outcome. */
export const paymentOutcomeConsumer = 'orders.payment-outcomes'

/**
 * Settles the orders whose card outcome arrived some other way than the placement request:
 * a provider webhook after the request's process died, say. Orders no longer waiting for their
 * payment are left alone (`settleOrderPayment` checks), so the usual path, where the request
 * settled the order itself, costs one indexed read per event.
 */
export function paymentOutcomeSubscriber(clock: Clock): Subscriber {
  return {
    consumer: paymentOutcomeConsumer,
    names: ['payment.authorized', 'payment.failed'],
    handle: async (events, tx: OrdersTx) => {
      const byOrder = new Map(events.map((e) => [String(e.payload.reference), String(e.payload.paymentId)]))
      const waiting = await tx
        .selectFrom('orders.order')
        .select(['id', 'payment_id'])
        .where('id', 'in', [...byOrder.keys()])
        .where('status', '=', 'pending_payment')
        .execute()
      for (const order of waiting) {
        if (byOrder.get(order.id) !== order.payment_id) continue
        await settleOrderPayment(tx, clock, order.id, await getPayment(crossModule(tx), order.payment_id))
      }
    },
  }
}

/**
 * Card orders still `pending_payment` `timeoutMinutes` after placement: neither the request nor
 * a webhook settled their authorisation, and the card is gone (it is never stored). Each one's
 * payment is abandoned and the order moves to `payment_failed`, giving its stock and coupon
 * uses back, one order per transaction so a racing settlement wins or loses whole. Up to 100 a run.
 */
export async function failUnpaidOrders(db: Kysely<any>, clock: Clock, timeoutMinutes: number): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - timeoutMinutes * 60_000)
  const stale = await db
    .selectFrom('orders.order')
    .select(['id', 'payment_id'])
    .where('status', '=', 'pending_payment')
    .where('created_at', '<=', cutoff)
    .orderBy('id')
    .limit(100)
    .execute()
  for (const order of stale) {
    await inTransaction(db, async (tx) => {
      const payment = await abandonPendingPayment(crossModule(tx), clock, order.payment_id)
      await settleOrderPayment(tx, clock, order.id, payment)
    })
  }
  return stale.length
}

export function orderTasks(deps: { db: Kysely<any>; clock: Clock }, timeoutMinutes: () => number): PeriodicTask[] {
  return [{ name: 'orders.fail-unpaid', everyMs: 60_000, run: () => failUnpaidOrders(deps.db, deps.clock, timeoutMinutes()) }]
}
