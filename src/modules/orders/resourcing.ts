import { keepToOwnLocation } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { allocate } from '../../kernel/money.js'
import {
  awaitTransfers,
  collecting,
  lockForResourcing,
  relocateLines,
} from '../fulfillment/index.js'
import { resourceReservation, type Shipment, type SourcingPlan } from '../inventory/index.js'
import type { OrderLineRow, OrdersTables } from './db.js'
import { recordOrderEvent, withElsewhere } from './placement.js'
import { findOrder, getOrder } from './queries.js'
import type { MissingBody, OrderView, SourcingView } from './schema.js'
import { sourcingPolicy } from './sourcing-policy.js'
import { sourcingRequest } from './sourcing.js'

type OrdersTx = Tx<OrdersTables>

/**
 * A store reports units of an `allocated` or `picking` fulfilment missing. In one transaction:
 * the units are written off at that store (ledger `adjustment`), the order's reservation of them
 * moves to where the sourcing policy now points (never the reporting store, nor a location
 * whose parcel is already packed) — a fulfilment there gains the lines, or a new one is
 * created — and the same order's lines and timeline (`resourced`, with the rule and reason)
 * follow. A collection stays where the customer comes: the units are sent to its store by
 * transfer from where the policy points, and it waits for them (see `awaitTransfers`); its
 * lines keep their store. Throws `not-found`,
 * `forbidden` (a store key reporting for another store), `illegal-transition`,
 * `validation-failed` at `lines.N.*`, or `insufficient-stock` with shortages and where stock
 * exists — having written nothing. Appends `fulfillment.resourced`.
 */
export async function resourceMissing(
  tx: OrdersTx,
  clock: Clock,
  fulfillmentId: string,
  body: MissingBody,
  who: { actor: string; store: string | null },
): Promise<{ before: OrderView; after: OrderView }> {
  const locked = await lockForResourcing(crossModule(tx), fulfillmentId, body.lines)
  const from = locked.row.location
  keepToOwnLocation(who.store, from, `Fulfillment ${fulfillmentId} is at ${from}`)
  const order = await findOrder(tx, locked.row.order_id)
  const before = await getOrder(tx, order.id)
  const policy = await sourcingPolicy(tx)
  const collected = collecting(order.fulfillment_method)
  const pathOf = (field: string) => `fulfillment.${field}`
  const request = await sourcingRequest(
    tx,
    collected
      ? // Sent to the store by transfer from any location that ships, nearest to that store first.
        {
          method: 'ship',
          location: null,
          address: null,
          channel: order.channel,
          store: from,
          pathOf,
        }
      : {
          method: order.fulfillment_method,
          location: null,
          address: order.address as { geo?: { lat: number; lng: number } } | null,
          channel: order.channel,
          store: order.store,
          pathOf,
        },
    policy,
  ).catch((err: unknown) => {
    // No courier location in range any more is, for the missing units, a shortage.
    if (err instanceof DomainError && err.kind === 'courier-out-of-range') return null
    throw err
  })
  const reason = `missing at ${from}${body.note ? `: ${body.note}` : ''}`
  let plan
  try {
    plan = await resourceReservation(crossModule(tx), clock, {
      reservationId: order.reservation_id,
      from,
      lines: body.lines,
      candidates: (request?.candidates ?? []).filter((c) => !locked.blocked.includes(c.location)),
      policy: request ? policy : { ...policy, rules: [] },
      actor: who.actor,
      reason,
      ...(collected && { deliverTo: from }),
    })
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'insufficient-stock')
      throw await withElsewhere(tx, err)
    throw err
  }
  const moves = { lines: body.lines, reason: plan.reason, actor: who.actor }
  let moved: { fulfillmentId: string; location: string }[] = []
  if (collected)
    await awaitTransfers(crossModule(tx), clock, locked, { ...moves, transfers: plan.transfers })
  else
    moved = (
      await relocateLines(crossModule(tx), clock, locked, { ...moves, to: plan.shipments })
    ).to.map((f) => ({ fulfillmentId: f.id, location: f.location }))
  // A collection's lines stay at its store: the units travel there.
  const lines = collected
    ? null
    : await moveOrderLines(tx, order.id, from, body.lines, plan.shipments)
  await tx
    .updateTable('orders.order')
    .set({
      updated_at: clock.now(),
      sourcing: JSON.stringify(
        lines
          ? replanned(before.sourcing, lines, plan, reason)
          : sentOver(before.sourcing, plan, reason, from),
      ),
    })
    .where('id', '=', order.id)
    .execute()
  await recordOrderEvent(tx, clock.now(), order.id, order.status, 'resourced', {
    fulfillmentId,
    from,
    lines: body.lines,
    to: moved,
    transfers: plan.transfers.map((t) => ({
      transferId: t.id,
      from: t.from,
      sku: t.sku,
      quantity: t.quantity,
    })),
    rule: plan.rule,
    reason,
    plan: plan.reason,
    by: who.actor,
  })
  return { before, after: await getOrder(tx, order.id) }
}

/**
 * Rewrites the order's lines after a move: each missing quantity leaves its line at `from`
 * (with its share of the line's discount, split by `allocate` so the sum stays exact) and joins
 * the line of the same SKU at each new location, or a new line after the others.
 */
async function moveOrderLines(
  tx: OrdersTx,
  orderId: string,
  from: string,
  missing: readonly { sku: string; quantity: number }[],
  shipments: readonly Shipment[],
) {
  const lines: Omit<OrderLineRow, 'order_id' | 'seq'>[] = (
    await tx
      .selectFrom('orders.order_line')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('seq')
      .execute()
  ).map(({ order_id: _o, seq: _s, ...l }) => l)
  for (const m of missing) {
    const source = lines.find((l) => l.sku === m.sku && l.location === from)!
    const [kept, leaving] = allocate(source.discount_minor, [
      source.quantity - m.quantity,
      m.quantity,
    ])
    source.quantity -= m.quantity
    source.discount_minor = kept!
    const parts = shipments.flatMap((s) =>
      s.lines
        .filter((l) => l.sku === m.sku)
        .map((l) => ({ location: s.location, quantity: l.quantity })),
    )
    const shares = allocate(
      leaving!,
      parts.map((p) => p.quantity),
    )
    parts.forEach((p, i) => {
      const target = lines.find((l) => l.sku === m.sku && l.location === p.location)
      if (target) {
        target.quantity += p.quantity
        target.discount_minor += shares[i]!
      } else
        lines.push({
          sku: m.sku,
          quantity: p.quantity,
          unit_price_minor: source.unit_price_minor,
          discount_minor: shares[i]!,
          location: p.location,
        })
    })
  }
  const kept = lines.filter((l) => l.quantity > 0)
  await tx.deleteFrom('orders.order_line').where('order_id', '=', orderId).execute()
  await tx
    .insertInto('orders.order_line')
    .values(kept.map((l, seq) => ({ ...l, order_id: orderId, seq })))
    .execute()
  return kept
}

/** A collection's sourcing after units were sent to its store: same shipments, one more reason. */
function sentOver(
  previous: SourcingView | null,
  plan: SourcingPlan,
  why: string,
  store: string,
): SourcingView | null {
  if (!previous) return null
  return {
    ...previous,
    reason: `${previous.reason}; re-sourced (${why}): ${plan.reason}, sent to ${store} by transfer`,
  }
}

/**
 * The order's sourcing after a move: the rule decided at placement, its reason followed by the
 * re-sourcing's, and one shipment per location the lines now come from.
 */
function replanned(
  previous: SourcingView | null,
  lines: readonly { sku: string; quantity: number; location: string }[],
  plan: SourcingPlan,
  why: string,
): SourcingView | null {
  if (!previous) return null
  const distance = new Map(
    [...previous.shipments, ...plan.shipments].map((s) => [s.location, s.distanceKm]),
  )
  const locations = [...new Set(lines.map((l) => l.location))].sort()
  return {
    rule: previous.rule,
    reason: `${previous.reason}; re-sourced (${why}): ${plan.reason}`,
    shipments: locations.map((location) => ({
      location,
      distanceKm: distance.get(location) ?? null,
      lines: lines
        .filter((l) => l.location === location)
        .map((l) => ({ sku: l.sku, quantity: l.quantity }))
        .sort((a, b) => (a.sku < b.sku ? -1 : 1)),
    })),
  }
}
