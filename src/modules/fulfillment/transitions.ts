import { sql } from 'kysely'
import { keepToOwnLocation } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { confirmReservation, recordMovements, releaseReservation } from '../inventory/index.js'
import type { FulfillmentRow, FulfillmentTables } from './db.js'
import { findFulfillment } from './fulfillments.js'
import { paymentDueAt } from './payment-due.js'
import type { FulfillmentChange, OrderFollower } from './port.js'
import type { FulfillmentView, TransitionBody } from './schema.js'
import {
  assertTransition,
  closed,
  fulfillmentStates,
  handedOver,
  statesLeadingTo,
  transitions,
  type FulfillmentState,
} from './states.js'
import { fulfillmentViews, inboundTransfers } from './views.js'

type FulfillmentTx = Tx<FulfillmentTables>

const cancellable = fulfillmentStates.filter((from) =>
  (transitions[from] as readonly string[]).includes('cancelled'),
)

/** The order's other fulfilments, locked so two parcels of one order settle stock one at a time. */
async function siblingsOf(tx: FulfillmentTx, row: FulfillmentRow) {
  return tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('order_id', '=', row.order_id)
    .where('id', '!=', row.id)
    .orderBy('id')
    .forUpdate()
    .execute()
}

async function linesOf(tx: FulfillmentTx, ids: readonly string[]) {
  if (ids.length === 0) return []
  return tx
    .selectFrom('fulfillment.fulfillment as f')
    .innerJoin('fulfillment.fulfillment_line as l', 'l.fulfillment_id', 'f.id')
    .select(['l.sku', 'f.location', 'l.quantity', 'f.order_id'])
    .where('f.id', 'in', ids)
    .execute()
}

/** Puts closed fulfilments' units back on sale after the reservation holding them was sold. */
async function restock(tx: FulfillmentTx, clock: Clock, actor: string, ids: readonly string[]) {
  const lines = await linesOf(tx, ids)
  if (lines.length === 0) return
  await recordMovements(
    crossModule(tx),
    clock,
    actor,
    lines.map((l) => ({
      sku: l.sku,
      location: l.location,
      kind: 'return' as const,
      quantity: l.quantity,
      reason: 'fulfilment not handed over',
      reference: l.order_id,
    })),
  )
}

async function confirmOnce(tx: FulfillmentTx, clock: Clock, actor: string, reservationId: string) {
  try {
    await confirmReservation(crossModule(tx), clock, actor, reservationId)
  } catch (err) {
    // Another parcel of the order was handed over first and sold the whole reservation.
    const from = err instanceof DomainError ? (err.members as { from?: string }).from : undefined
    if (!(err instanceof DomainError && err.kind === 'illegal-transition' && from === 'confirmed'))
      throw err
  }
}

/**
 * Stock follows the fulfilment. Inventory holds one reservation per order, across all its
 * locations, so the first parcel handed over confirms it whole (a sale at every location), and
 * units of parcels already cancelled or expired are returned to stock at once. A parcel closed
 * after that is returned the same way; the last parcel of an order closed before any handover
 * releases the reservation.
 */
async function settleStock(
  tx: FulfillmentTx,
  clock: Clock,
  actor: string,
  row: FulfillmentRow,
  siblings: readonly FulfillmentRow[],
) {
  const soldBefore = siblings.some((s) => handedOver.includes(s.status))
  if (handedOver.includes(row.status) && row.status !== 'delivered' && !soldBefore) {
    await confirmOnce(tx, clock, actor, row.reservation_id)
    await restock(
      tx,
      clock,
      actor,
      siblings.filter((s) => closed.includes(s.status)).map((s) => s.id),
    )
  } else if (closed.includes(row.status)) {
    if (soldBefore) await restock(tx, clock, actor, [row.id])
    else if (siblings.every((s) => closed.includes(s.status)))
      await releaseQuietly(tx, clock, row.reservation_id)
  }
}

/** Releases a reservation unless nothing is held any more (released or expired already). */
export async function releaseQuietly(tx: FulfillmentTx, clock: Clock, reservationId: string) {
  try {
    await releaseReservation(crossModule(tx), clock, reservationId)
  } catch (err) {
    if (!(err instanceof DomainError && err.kind === 'illegal-transition')) throw err
  }
}

/** What every `fulfillment.*` event says first: which parcel of which order, where and how. */
export function parcelFacts(row: FulfillmentRow) {
  return {
    fulfillmentId: row.id,
    orderId: row.order_id,
    orderNumber: row.order_number,
    location: row.location,
    method: row.method,
  }
}

/** The outbox event of a move: `fulfillment.<state>`, with the order's customer and channel. */
export function fulfillmentEvent(row: FulfillmentRow, from: FulfillmentState) {
  return {
    name: `fulfillment.${row.status}`,
    version: 1,
    payload: {
      ...parcelFacts(row),
      from,
      to: row.status,
      carrier: row.carrier,
      trackingNumber: row.tracking_number,
    },
    channel: row.channel,
    profileId: row.customer_id,
  }
}

export function changeOf(
  row: FulfillmentRow,
  from: FulfillmentState,
  actor: string,
  siblings: readonly FulfillmentRow[],
): FulfillmentChange {
  return {
    orderId: row.order_id,
    fulfillmentId: row.id,
    location: row.location,
    from,
    to: row.status,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    actor,
    statuses: [row.status, ...siblings.map((s) => s.status)],
  }
}

/**
 * Moves a fulfilment along the state table (per its method: a parcel is never made ready for
 * pick-up, a collection never picked for a carrier). The allowed sources are the UPDATE's
 * WHERE, so two clerks pressing different buttons cannot both win; the loser gets
 * `illegal-transition` naming the targets allowed from the state the winner left. `not-found`
 * for an unknown id; `forbidden` for a key of another location. In the same transaction: stock
 * follows (see `settleStock`), the order follows (`follower`: its status and timeline),
 * `fulfillment.<state>` is appended, and any payment capture or void is recorded as due — the
 * provider is called after commit by `settleFulfillmentPayment`.
 */
export async function moveFulfillment(
  tx: FulfillmentTx,
  clock: Clock,
  follower: OrderFollower,
  id: string,
  body: TransitionBody,
  who: { actor: string; store: string | null },
): Promise<{ before: FulfillmentView; after: FulfillmentView }> {
  const { actor } = who
  const current = await findFulfillment(tx, id)
  keepToOwnLocation(who.store, current.location, `Fulfillment ${id} is at ${current.location}`)
  const [before] = await fulfillmentViews(tx, [current])
  const siblings = await siblingsOf(tx, current)
  const allClosed = closed.includes(body.to) && siblings.every((s) => closed.includes(s.status))
  const now = clock.now()
  const due = paymentDueAt(current.payment_method, body.to, allClosed)
  const sources = statesLeadingTo(current.method, body.to)
  // No state leads there for this method (a parcel to the pick-up shelf): refused as from any.
  if (sources.length === 0) assertTransition(current.method, current.status, body.to)
  if (body.to === 'ready_for_pickup') await assertNothingInTransit(tx, current)
  const moved = await tx
    .updateTable('fulfillment.fulfillment')
    .set({
      status: body.to,
      updated_at: now,
      ...(body.to === 'shipped' && {
        carrier: body.carrier ?? null,
        tracking_number: body.trackingNumber ?? null,
      }),
      ...(body.to === 'ready_for_pickup' && { ready_at: now }),
      ...(due && { payment_due: due }),
    })
    .where('id', '=', id)
    .where('status', 'in', sources)
    .returningAll()
    .executeTakeFirst()
  if (!moved) {
    const now = await findFulfillment(tx, id)
    assertTransition(now.method, now.status, body.to)
    throw new Error(`fulfillment ${id}: guarded move to ${body.to} refused from ${now.status}`)
  }
  await settleStock(tx, clock, actor, moved, siblings)
  await follower.follow(crossModule(tx), clock, [changeOf(moved, current.status, actor, siblings)])
  await appendEvents(crossModule(tx), clock, [fulfillmentEvent(moved, current.status)])
  const [after] = await fulfillmentViews(tx, [moved])
  return { before: before!, after: after! }
}

/** A collection goes on the shelf whole: `awaiting-transfer` while units are still on their way. */
async function assertNothingInTransit(tx: FulfillmentTx, row: FulfillmentRow) {
  const pending = (await inboundTransfers(tx, [row])).filter(
    (t) => t.to === row.location && t.status === 'in_transit',
  )
  if (pending.length > 0)
    throw new DomainError(
      'awaiting-transfer',
      `Fulfillment ${row.id} still awaits ${pending
        .map((t) => `${t.quantity} × ${t.sku} from ${t.from}`)
        .join(', ')}`,
      { transfers: pending.map((t) => ({ id: t.id, from: t.from, sku: t.sku, quantity: t.quantity })) },
    )
}

/**
 * Cancels every fulfilment of an order not yet handed over, in one guarded statement (an order
 * cancelled by its own route: the order releases the stock and reverses the payment itself).
 * Appends `fulfillment.cancelled` for each.
 */
export async function cancelOrderFulfillments(tx: FulfillmentTx, clock: Clock, orderId: string) {
  const rows = await sql<FulfillmentRow & { previous: FulfillmentState }>`
    update fulfillment.fulfillment f set status = 'cancelled', updated_at = ${clock.now()}
    from (select id, status from fulfillment.fulfillment where order_id = ${orderId}
          for update) old
    where f.id = old.id
      and f.status = any(${cancellable}::text[])
    returning f.*, old.status as previous`.execute(tx)
  if (rows.rows.length === 0) return
  await appendEvents(
    crossModule(tx),
    clock,
    rows.rows.map((r) => fulfillmentEvent(r, r.previous)),
  )
}
