import { crossModule, type Tx } from '../../kernel/db/index.js'
import type { Currency, Money } from '../../kernel/money.js'
import { sellingLocations } from '../channels/index.js'
import { availableBySku } from '../inventory/index.js'
import { effectivePrices } from '../pricing/index.js'
import type { CartLineRow, CartRow, CartsTables } from './db.js'
import type { CartLineView, CartView } from './schema.js'

type PricedLine = { sku: string; quantity: number; unitAmount: number | null }

/**
 * The one place a cart's discount is decided. Promotions will plug in here; until they do, no
 * cart is discounted. Takes the priced lines so a rule can look at SKUs and quantities.
 */
export function discountOf(_lines: readonly PricedLine[], currency: Currency): Money {
  return { amount: 0, currency }
}

/** Where a cart's lines would come from: the pickup store, else the channel's selling locations. */
async function sourceLocations(tx: Tx<CartsTables>, cart: CartRow, channel: string | null) {
  if (cart.fulfillment_location) return [cart.fulfillment_location]
  return sellingLocations(crossModule(tx), channel)
}

/**
 * Builds the cart as `channel` sees it: prices from that channel's price book (one query for
 * every line), availability for the chosen fulfilment (one query), totals computed here from
 * integer minor units. Nothing a client sent about prices is ever used.
 */
export async function cartViewOf(
  tx: Tx<CartsTables>,
  cart: CartRow,
  channel: string | null,
): Promise<CartView> {
  const rows: CartLineRow[] = await tx
    .selectFrom('carts.cart_line')
    .selectAll()
    .where('cart_id', '=', cart.id)
    .orderBy('seq')
    .execute()
  const skus = rows.map((r) => r.sku)
  const currency = cart.currency
  const prices = currency ? await effectivePrices(crossModule(tx), skus, channel, currency) : []
  const unit = new Map(prices.map((p) => [p.sku, p.amount]))
  const available = await availableBySku(crossModule(tx), skus, await sourceLocations(tx, cart, channel))
  const priced: PricedLine[] = rows.map((r) => ({ sku: r.sku, quantity: r.quantity, unitAmount: unit.get(r.sku) ?? null }))
  const money = (amount: number): Money | null => (currency ? { amount, currency } : null)
  const lines: CartLineView[] = priced.map((l) => {
    const have = available.get(l.sku) ?? 0
    return {
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: l.unitAmount === null ? null : money(l.unitAmount),
      lineTotal: l.unitAmount === null ? null : money(l.unitAmount * l.quantity),
      available: have,
      isAvailable: have >= l.quantity,
    }
  })
  const subtotal = priced.reduce((n, l) => n + (l.unitAmount ?? 0) * l.quantity, 0)
  const discount = currency ? discountOf(priced, currency) : null
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
    subtotal: money(subtotal),
    discount,
    total: discount ? money(Math.max(0, subtotal - discount.amount)) : null,
    lastActivityAt: cart.last_activity_at.toISOString(),
    createdAt: cart.created_at.toISOString(),
    updatedAt: cart.updated_at.toISOString(),
  }
}
