import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import type { Money } from '../../kernel/money.js'
import { shipmentOrigins } from '../channels/index.js'
import { availableBySku } from '../inventory/index.js'
import { effectivePrices } from '../pricing/index.js'
import { evaluate, type PlanView } from '../promotions/index.js'
import type { CartLineRow, CartRow, CartsTables } from './db.js'
import type { CartLineView, CartView } from './schema.js'

/** Who looks at a cart: prices follow its channel; stock, its channel and the store it is at. */
export type Viewer = { channel: string | null; store: string | null }

/**
 * Where a cart's lines would come from, as placement would source them: the pickup store, else
 * the locations a shipment through the viewer's channel may leave from.
 */
async function sourceLocations(tx: Tx<CartsTables>, cart: CartRow, viewer: Viewer) {
  if (cart.fulfillment_location) return [cart.fulfillment_location]
  return shipmentOrigins(crossModule(tx), viewer.channel, viewer.store)
}

/** A cart's lines in the order they were added. */
export function linesOf(tx: Tx<CartsTables>, cartId: string): Promise<CartLineRow[]> {
  return tx
    .selectFrom('carts.cart_line')
    .selectAll()
    .where('cart_id', '=', cartId)
    .orderBy('seq')
    .execute()
}

/**
 * The discounts an order placed from the cart now would get: the automatic promotions and the
 * cart's coupon, decided by the promotions module for the priced lines (unpriced ones cannot be
 * ordered and are left out). Null for a cart without a currency, which has never had a line.
 */
async function planOf(
  tx: Tx<CartsTables>,
  clock: Clock,
  cart: CartRow,
  channel: string | null,
  lines: readonly { sku: string; quantity: number; unitAmount: number | null }[],
): Promise<PlanView | null> {
  const currency = cart.currency
  if (!currency) return null
  return evaluate(crossModule(tx), clock, {
    lines: lines.flatMap((l) =>
      l.unitAmount === null
        ? []
        : [{ sku: l.sku, quantity: l.quantity, unitPrice: { amount: l.unitAmount, currency } }],
    ),
    currency,
    customerId: cart.customer_id,
    channel,
    coupon: cart.coupon,
  })
}

/**
 * Builds the cart as `viewer` sees it: prices from its channel's price book (one query for
 * every line), availability for the chosen fulfilment (one query), discounts as placement would
 * decide them (see `planOf`), totals computed here from integer minor units. Nothing a client
 * sent about prices is ever used. A coupon that does not apply to the cart as it stands stays on
 * it, with the reason.
 */
export async function cartViewOf(
  tx: Tx<CartsTables>,
  clock: Clock,
  cart: CartRow,
  viewer: Viewer,
): Promise<CartView> {
  const { channel } = viewer
  const rows = await linesOf(tx, cart.id)
  const skus = rows.map((r) => r.sku)
  const currency = cart.currency
  const prices = currency ? await effectivePrices(crossModule(tx), skus, channel, currency) : []
  const unit = new Map(prices.map((p) => [p.sku, p.amount]))
  const available = await availableBySku(
    crossModule(tx),
    skus,
    await sourceLocations(tx, cart, viewer),
  )
  const priced = rows.map((r) => ({
    sku: r.sku,
    quantity: r.quantity,
    unitAmount: unit.get(r.sku) ?? null,
  }))
  const plan = await planOf(tx, clock, cart, channel, priced)
  const money = (amount: number): Money | null => (currency ? { amount, currency } : null)
  const discountBySku = new Map(plan?.lines.map((l) => [l.sku, l.discount]))
  const lines: CartLineView[] = priced.map((l) => {
    const have = available.get(l.sku) ?? 0
    return {
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: l.unitAmount === null ? null : money(l.unitAmount),
      lineTotal: l.unitAmount === null ? null : money(l.unitAmount * l.quantity),
      available: have,
      isAvailable: have >= l.quantity,
      discount: money(discountBySku.get(l.sku) ?? 0),
    }
  })
  const subtotal = priced.reduce((n, l) => n + (l.unitAmount ?? 0) * l.quantity, 0)
  const discount = plan?.discountTotal ?? 0
  const refused = plan?.refusedCoupon ?? null
  return {
    id: cart.id,
    status: cart.status,
    customerId: cart.customer_id,
    anonymousId: cart.anonymous_id,
    channel: cart.channel,
    currency,
    mergedInto: cart.merged_into,
    orderId: cart.order_id,
    fulfillment: { method: cart.fulfillment_method, location: cart.fulfillment_location },
    lines,
    coupon: cart.coupon
      ? { code: cart.coupon, applied: plan !== null && !refused, reason: refused?.reason ?? null }
      : null,
    promotions: (plan?.applied ?? []).map((a) => ({
      promotionId: a.promotionId,
      name: a.name,
      code: a.code,
      amount: money(a.amount)!,
    })),
    subtotal: money(subtotal),
    discount: money(discount),
    total: money(subtotal - discount),
    lastActivityAt: cart.last_activity_at.toISOString(),
    createdAt: cart.created_at.toISOString(),
    updatedAt: cart.updated_at.toISOString(),
  }
}
