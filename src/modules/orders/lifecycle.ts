import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { cancelOrderFulfillments } from '../fulfillment/index.js'
import { releaseReservation } from '../inventory/index.js'
import {
  authorizeOperation,
  getPayment,
  recordPayment,
  refundOperation,
  runStaged,
  voidOperation,
  type PaymentProvider,
  type PaymentView,
} from '../payments/index.js'
import { releaseRedemption } from '../promotions/index.js'
import type { OrderRow, OrdersTables } from './db.js'
import { paymentRequest, recordOrderEvent } from './placement.js'
import { findOrder, getOrder } from './queries.js'
import type { OrderPayment, OrderView } from './schema.js'
import { assertTransition, statesLeadingTo, type OrderStatus } from './states.js'

type OrdersTx = Tx<OrdersTables>

/**
 * Moves an order to `to` when the transitions table allows it from its current status; the
 * allowed sources are the UPDATE's guard, so two racers (a payment settling and a cancellation)
 * cannot both win. Null when the order is already in `to` (the other racer got there);
 * `illegal-transition` naming the allowed targets otherwise.
 */
export async function moveOrder(
  tx: OrdersTx,
  clock: Clock,
  id: string,
  to: OrderStatus,
): Promise<OrderRow | null> {
  const moved = await tx
    .updateTable('orders.order')
    .set({ status: to, updated_at: clock.now() })
    .where('id', '=', id)
    .where('status', 'in', statesLeadingTo(to))
    .returningAll()
    .executeTakeFirst()
  if (moved) return moved
  const current = await findOrder(tx, id)
  if (current.status === to) return null
  assertTransition(current.status, to)
  throw new Error(`order ${id}: guarded move to ${to} refused from ${current.status}`)
}

/** Gives back what an order held: its stock (unless expiry already did) and its redemptions. */
export async function releaseHolds(tx: OrdersTx, clock: Clock, order: OrderRow) {
  try {
    await releaseReservation(crossModule(tx), clock, order.reservation_id)
  } catch (err) {
    // Released or expired already: nothing is held, which is what was wanted.
    if (!(err instanceof DomainError && err.kind === 'illegal-transition')) throw err
  }
  await releaseRedemption(crossModule(tx), clock, { orderRef: order.id })
}

/**
 * Records a card authorisation's outcome on its order, in the transaction that settles the
 * payment: `authorized` confirms the order (`order.confirmed`); `failed` moves it to
 * `payment_failed`, releasing its stock and redemptions (`order.payment_failed`). An order
 * no longer waiting for its payment is left as it is, so a replay settles nothing twice.
 */
export async function settleOrderPayment(
  tx: OrdersTx,
  clock: Clock,
  orderId: string,
  payment: PaymentView,
) {
  const to: OrderStatus | null =
    payment.status === 'authorized'
      ? 'confirmed'
      : payment.status === 'failed'
        ? 'payment_failed'
        : null
  if (!to) return
  const order = await findOrder(tx, orderId)
  if (order.status !== 'pending_payment') return
  const moved = await moveOrder(tx, clock, orderId, to)
  if (!moved) return
  if (to === 'payment_failed') await releaseHolds(tx, clock, moved)
  const detail = { paymentId: payment.id, ...(payment.failure && { failure: payment.failure }) }
  await recordOrderEvent(
    tx,
    clock.now(),
    orderId,
    to,
    to === 'confirmed' ? 'payment_authorized' : 'payment_failed',
    detail,
  )
  await appendEvents(crossModule(tx), clock, [
    {
      name: to === 'confirmed' ? 'order.confirmed' : 'order.payment_failed',
      version: 1,
      payload: { orderId, number: moved.number, ...detail },
      channel: moved.channel,
      profileId: moved.customer_id,
    },
  ])
}

/**
 * Authorises a `pending_payment` order's card with the provider, holding no lock: the payment
 * is found again by its order (recorded at placement), the provider is called between two
 * transactions with the key `<paymentId>:authorize` (so a retry gets the provider's first
 * answer), and the second transaction settles payment and order together. Answers the order.
 * An error (the provider unreachable) names the order, which is placed and waits for a retry.
 */
export async function authorizeOrder(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  order: OrderView,
  payment: OrderPayment,
): Promise<OrderView> {
  const request = paymentRequest(order, payment, order.channel)
  const { row } = await inTransaction(db, (tx) =>
    recordPayment(crossModule(tx), clock, provider, request.input, request.origin),
  )
  const view = await runStaged(
    db,
    authorizeOperation(clock, provider, row, { card: payment.card }),
    (tx, settled) => settleOrderPayment(crossModule(tx), clock, order.id, settled),
  ).catch((err: unknown) => {
    if (!(err instanceof DomainError)) throw err
    const named = new DomainError(err.kind, err.message, {
      ...err.members,
      orderId: order.id,
      orderNumber: order.number,
    })
    named.cause = err.cause
    throw named
  })
  // Settled earlier (a replay): the payment answered at once; make sure the order followed.
  return inTransaction(db, async (tx) => {
    await settleOrderPayment(tx, clock, order.id, view)
    return getOrder(tx, order.id)
  })
}

/**
 * Cancels an order before shipment: guarded by the transitions table (`illegal-transition`
 * with `allowed` otherwise; `not-found`), releases its stock and promotion redemptions, cancels
 * its fulfilments not yet handed over, records
 * the timeline and appends `order.cancelled`. The payment is reversed after commit by
 * `reverseOrderPayment`, since a card void talks to the provider.
 */
export async function cancelOrder(
  tx: OrdersTx,
  clock: Clock,
  id: string,
  detail: { actor: string; reason?: string | undefined },
): Promise<{ before: OrderView; after: OrderView }> {
  const before = await getOrder(tx, id)
  const moved = await moveOrder(tx, clock, id, 'cancelled')
  // Already cancelled by a concurrent request: a second cancellation is refused like any other.
  if (!moved) assertTransition('cancelled', 'cancelled')
  if (!moved) throw new Error(`order ${id}: cancelled twice`)
  await releaseHolds(tx, clock, moved)
  await cancelOrderFulfillments(crossModule(tx), clock, id)
  await recordOrderEvent(tx, clock.now(), id, 'cancelled', 'cancelled', {
    by: detail.actor,
    reason: detail.reason ?? null,
  })
  await appendEvents(crossModule(tx), clock, [
    {
      name: 'order.cancelled',
      version: 1,
      payload: { orderId: id, number: moved.number, reason: detail.reason ?? null },
      channel: moved.channel,
      profileId: moved.customer_id,
    },
  ])
  return { before, after: await getOrder(tx, id) }
}

/**
 * Reverses a cancelled order's payment, each provider call between two transactions: an
 * authorisation or a pending cash payment is voided, a captured one refunded; a card still
 * waiting for its authorisation, a failed or already reversed payment needs nothing.
 */
export async function reverseOrderPayment(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  paymentId: string,
) {
  const payment = await inTransaction(db, (tx) => getPayment(crossModule(tx), paymentId))
  const voidable =
    payment.status === 'authorized' || (payment.status === 'pending' && payment.method !== 'card')
  if (voidable) return runStaged(db, voidOperation(clock, provider, paymentId))
  if (payment.status === 'captured' || payment.status === 'partially_refunded')
    return runStaged(db, refundOperation(clock, provider, paymentId))
  return payment
}
