import { sql, type Insertable, type Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, statement, together, writeAtCommit, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { allocate } from '../../kernel/money.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { resolveCustomerId } from '../customers/index.js'
import { createFulfillments } from '../fulfillment/index.js'
import { availableAt, reserveSourced, type Caller, type Shortage } from '../inventory/index.js'
import { closeCart } from '../carts/index.js'
import {
  recordPayment,
  type AuthorizeInput,
  type PaymentOrigin,
  type PaymentProvider,
} from '../payments/index.js'
import { couponNotApplicable, evaluate, redeem, withAllowances } from '../promotions/index.js'
import { basketOf, priceBasket, type Basket } from './basket.js'
import type { OrderEventTable, OrderLineTable, OrderRow, OrdersTables, OrderTable } from './db.js'
import { orderViewOf } from './queries.js'
import { shippingFor } from './shipping-rates.js'
import { sourcingPolicy } from './sourcing-policy.js'
import { sourcingRequest } from './sourcing.js'
import type { OrderPayment, OrderView, PlaceOrderBody } from './schema.js'
import type { OrderStatus } from './states.js'

type OrdersTx = Tx<OrdersTables>

/** Who places the order: the key's channel and store, the key itself, and the staff key if any. */
export type OrderOrigin = {
  channel: string | null
  touchpoint: string
  store: string | null
  staff: string | null
  actor: string
}

// Orders hold their stock until fulfilment takes it; the inventory module caps a hold at a week.
const holdSeconds = 7 * 86_400

/** The payment as recorded for an order; the same input and origin find the same payment again. */
export function paymentRequest(
  order: Pick<OrderView, 'id' | 'customerId' | 'totals'>,
  payment: OrderPayment,
  channel: string | null,
): { input: AuthorizeInput; origin: PaymentOrigin } {
  return {
    input: {
      reference: order.id,
      method: payment.method,
      amount: { amount: order.totals.total, currency: order.totals.currency },
      card: payment.card,
      storedValueCode: payment.code,
      customerId: order.customerId,
    },
    origin: { channel, ownerKey: 'orders', requestKey: order.id },
  }
}

/** Adds, per short SKU, every location that does have units, read in one query. */
export async function withElsewhere(tx: OrdersTx, err: DomainError<{ shortages?: Shortage[] }>) {
  const shortages = err.members.shortages ?? []
  const stock = await availableAt(
    crossModule(tx),
    shortages.map((s) => s.sku),
  )
  return new DomainError(err.kind, err.message, {
    ...err.members,
    shortages: shortages.map((s) => ({
      ...s,
      availableElsewhere: stock
        .filter((r) => r.sku === s.sku && r.location !== s.location)
        .map((r) => ({ location: r.location, available: r.available })),
    })),
  })
}

/**
 * Reserves the basket where the sourcing policy says, under the order id; a shortage gains,
 * per SKU, where stock does exist.
 */
async function reserveBasket(
  tx: OrdersTx,
  clock: Clock,
  origin: OrderOrigin,
  orderId: string,
  basket: Basket,
) {
  const caller: Caller = { actor: origin.actor, channel: origin.channel, location: origin.store }
  const policy = await sourcingPolicy(tx)
  const sourcing = await sourcingRequest(
    tx,
    {
      ...basket.fulfillment,
      channel: origin.channel,
      store: origin.store,
      pathOf: basket.fulfillmentPathOf,
    },
    policy,
  )
  try {
    return await reserveSourced(crossModule(tx), clock, caller, {
      lines: basket.lines,
      ttlSeconds: holdSeconds,
      reference: orderId,
      sourcing,
    })
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'insufficient-stock')
      throw await withElsewhere(tx, err)
    throw err
  }
}

async function discountsOf(
  tx: OrdersTx,
  clock: Clock,
  input: {
    basket: Basket
    currency: Parameters<typeof evaluate>[2]['currency']
    unitOf: (sku: string) => number
  },
  customerId: string,
  channel: string | null,
  coupon: string | null,
) {
  const plan = await evaluate(crossModule(tx), clock, {
    lines: input.basket.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: { amount: input.unitOf(l.sku), currency: input.currency },
    })),
    currency: input.currency,
    customerId,
    channel,
    coupon,
  })
  const refused = plan.refusedCoupon
  if (refused) throw couponNotApplicable(refused.reason, { code: refused.code })
  return plan
}

// Drawn with the placement's first statements, before it is known whether the order can be
// served: a refused placement leaves a gap, as any rolled-back one does. The sequence is passed
// as a value so that the statement is prepared (statements without values run unprepared).
const drawNumber = statement((_db, p: { sequence: string }) =>
  sql<{ number: number }>`select nextval(${p.sequence}::regclass) as number`,
)

const insertOrder = statement((db: Kysely<OrdersTables>, p: { order: Insertable<OrderTable> }) =>
  db.insertInto('orders.order').values(p.order),
)
const insertLines = statement(
  (db: Kysely<OrdersTables>, p: { lines: Insertable<OrderLineTable>[] }) =>
    db.insertInto('orders.order_line').values(p.lines),
)
const insertPlacedEntry = statement(
  (db: Kysely<OrdersTables>, p: { entry: Insertable<OrderEventTable> }) =>
    db.insertInto('orders.order_event').values(p.entry),
)

/**
 * Places an order in the caller's transaction, everything or nothing: a cart ordered is closed
 * first (`ordered`, pointing at the order; a closed cart is `illegal-transition`), prices come
 * from the price book of the caller's channel, the customer is resolved (created when unknown),
 * discounts from promotions (evaluated, then redeemed with guarded statements), stock reserved
 * under the order id where the sourcing policy says (the pick-up store; else the nearest
 * location that can ship the whole order, else the fewest shipments — see `sourcingRequest` and
 * the inventory module's `planSourcing`), with the plan and its reason stored on the order;
 * shipping from the configured rates; a number from `orders.order_number` (a sequence: unique
 * and increasing, never a lock; drawn with the first statements, so a refusal leaves a gap), the
 * order's rows written with the commit, the payment recorded for the total with shipping, one
 * fulfilment per location the stock was reserved at (`allocated`, with the order's method). A
 * card order is `pending_payment` — its authorisation happens after commit, holding no lock
 * (see `authorizeOrder`); other methods are `confirmed`.
 *
 * Throws `insufficient-stock` with `shortages` (each with `availableElsewhere`),
 * `courier-out-of-range`, `coupon-not-applicable`, `validation-failed` (unpriced SKU, bad
 * contact, a store without pickup, a courier order without coordinates), `not-found`
 * (customer or cart), `illegal-transition` (cart closed). The reservation and redemption
 * statements carry their own guards, so concurrent orders for the last units cannot both
 * succeed. Appends `order.placed`. `allowances[i]` is taken off line `i` beyond its
 * promotions (see `withAllowances`); only exchanges give any.
 */
export async function placeOrder(
  tx: OrdersTx,
  clock: Clock,
  provider: PaymentProvider,
  origin: OrderOrigin,
  body: PlaceOrderBody,
  allowances: readonly number[] = [],
): Promise<OrderView> {
  const id = newId('ord')
  const closed = body.cartId ? await closeCart(crossModule(tx), clock, body.cartId, id) : undefined
  const basket = await basketOf(tx, origin.channel, body, closed)
  // Independent of one another: their statements go to the database in one write.
  const [{ currency, unitOf }, { customerId }, { reservation, plan: sourcing }, [drawn]] =
    await together(
      tx,
      () => priceBasket(tx, origin.channel, basket),
      () => resolveCustomerId(crossModule(tx), clock, basket.customer),
      () => reserveBasket(tx, clock, origin, id, basket),
      () => drawNumber.execute(tx, { sequence: 'orders.order_number' }),
    )
  const promoted = await discountsOf(
    tx,
    clock,
    { basket, currency, unitOf },
    customerId,
    origin.channel,
    basket.coupon,
  )
  const plan = withAllowances(promoted, allowances)
  const applied = plan.applied
  if (applied.length > 0) {
    await redeem(crossModule(tx), clock, {
      orderRef: id,
      customerId,
      channel: origin.channel,
      promotionIds: applied.filter((a) => a.code === null).map((a) => a.promotionId),
      codes: applied.flatMap((a) => (a.code ? [a.code] : [])),
    })
  }
  const shipping = await shippingFor(tx, basket.fulfillment.method, currency, plan.total)
  const totals = {
    subtotal: plan.subtotal,
    discount: plan.discountTotal,
    shipping,
    total: plan.total + shipping,
    currency,
  }
  const pay = paymentRequest({ id, customerId, totals }, body.payment, origin.channel)
  const { row: payment } = await recordPayment(
    crossModule(tx),
    clock,
    provider,
    pay.input,
    // The order id was made above, so no payment can hold it as its key yet.
    { ...pay.origin, freshKey: true },
  )
  // A card with nothing to charge is not sent to the provider (see `recordPayment`).
  const status: OrderStatus =
    body.payment.method === 'card' && totals.total > 0 ? 'pending_payment' : 'confirmed'
  const now = clock.now()
  const discountBySku = new Map(plan.lines.map((l) => [l.sku, l.discount]))
  const lines = splitDiscounts(reservation.lines, discountBySku).map((l, seq) => ({
    order_id: id,
    seq,
    sku: l.sku,
    quantity: l.quantity,
    unit_price_minor: unitOf(l.sku),
    discount_minor: l.discount,
    location: l.location,
  }))
  const placed = {
    id: 0,
    order_id: id,
    status,
    kind: 'placed',
    // Keys in jsonb's order (shorter first), so this answer and its stored replay read alike.
    detail: {
      sourcing: { rule: sourcing.rule, reason: sourcing.reason },
      paymentMethod: body.payment.method,
      fulfillmentMethod: basket.fulfillment.method,
    },
    at: now,
  }
  const order: OrderRow = {
    id,
    number: drawn!.number,
    status,
    channel: origin.channel,
    touchpoint: origin.touchpoint,
    store: origin.store,
    staff: origin.staff,
    customer_id: customerId,
    placed_customer_id: null,
    currency,
    subtotal_minor: totals.subtotal,
    discount_minor: totals.discount,
    shipping_minor: totals.shipping,
    total_minor: totals.total,
    fulfillment_method: basket.fulfillment.method,
    fulfillment_location: basket.fulfillment.location,
    address: basket.fulfillment.address,
    vehicle: basket.fulfillment.vehicle,
    sourcing,
    payment_method: body.payment.method,
    payment_id: payment.id,
    reservation_id: reservation.id,
    coupon: basket.coupon?.toUpperCase() ?? null,
    cart_id: basket.cartId,
    created_at: now,
    updated_at: now,
  }
  // Nothing reads the order before the commit: its rows go with the transaction's last statement.
  await writeAtCommit(tx, `order:${id}`, [
    insertOrder.compile({
      order: {
        ...order,
        address: order.address === null ? null : JSON.stringify(order.address),
        sourcing: JSON.stringify(order.sourcing),
      },
    }),
    insertLines.compile({ lines }),
    insertPlacedEntry.compile({
      entry: {
        order_id: id,
        status,
        kind: placed.kind,
        detail: JSON.stringify(placed.detail),
        at: now,
      },
    }),
  ])
  const fulfillments = await createFulfillments(crossModule(tx), clock, {
    orderId: id,
    orderNumber: order.number,
    customerId,
    channel: origin.channel,
    method: basket.fulfillment.method,
    reservationId: reservation.id,
    payment: { id: payment.id, method: body.payment.method },
    lines: reservation.lines,
  })
  await appendEvents(crossModule(tx), clock, [
    {
      name: 'order.placed',
      version: 1,
      payload: {
        orderId: id,
        number: order.number,
        customerId,
        status,
        store: origin.store,
        fulfillmentMethod: basket.fulfillment.method,
        total: { amount: totals.total, currency },
        shipping: { amount: totals.shipping, currency },
        lines: reservation.lines,
      },
      channel: origin.channel,
      profileId: customerId,
    },
  ])
  return orderViewOf(order, lines, [placed], fulfillments)
}

/**
 * A line reserved from several locations is recorded once per location; its discount is split
 * over them in proportion to their units (`allocate` keeps the sum exact).
 */
function splitDiscounts(
  lines: readonly { sku: string; location: string; quantity: number }[],
  discountBySku: ReadonlyMap<string, number>,
) {
  const shares = new Map<string, number[]>()
  for (const sku of new Set(lines.map((l) => l.sku))) {
    const parts = lines.filter((l) => l.sku === sku)
    shares.set(
      sku,
      allocate(
        discountBySku.get(sku) ?? 0,
        parts.map((p) => p.quantity),
      ),
    )
  }
  return lines.map((l) => ({ ...l, discount: shares.get(l.sku)!.shift()! }))
}

/** Appends one row to the order's timeline; answers it. */
export async function recordOrderEvent(
  tx: OrdersTx,
  at: Date,
  orderId: string,
  status: OrderStatus,
  kind: string,
  detail: Record<string, unknown> | null = null,
) {
  return tx
    .insertInto('orders.order_event')
    .values({
      order_id: orderId,
      status,
      kind,
      detail: detail === null ? null : JSON.stringify(detail),
      at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}
