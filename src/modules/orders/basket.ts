import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, illegalTransition, validationFailed } from '../../kernel/errors.js'
import type { Currency } from '../../kernel/money.js'
import { cartViewOf, findCart } from '../carts/index.js'
import type { ResolveInput } from '../customers/index.js'
import { effectivePrices } from '../pricing/index.js'
import type { FulfillmentMethod, OrdersTables } from './db.js'
import type { PlaceOrderBody } from './schema.js'

type OrdersTx = Tx<OrdersTables>

/** What is ordered, for whom and how it leaves, whether it came from a cart or directly. */
export type Basket = {
  customer: ResolveInput
  lines: { sku: string; quantity: number }[]
  currency: Currency | undefined
  fulfillment: { method: FulfillmentMethod; location: string | null; address: unknown }
  cartId: string | null
  /** Where a line's problems are reported: `lines.N.sku`, or `cartId` for a cart's lines. */
  pathOf: (index: number) => string
}

/**
 * The basket of a placement. A cart gives its lines, currency, customer and fulfilment (courier
 * ships, curbside is picked up); it must be open, have lines and a customer. Direct orders give
 * them in the body; contacts become identities for `resolveCustomer`.
 */
export async function basketOf(
  tx: OrdersTx,
  channel: string | null,
  body: PlaceOrderBody,
): Promise<Basket> {
  if (body.cartId) {
    const cart = await findCart(crossModule(tx), body.cartId)
    if (cart.status === 'merged') throw illegalTransition('cart', cart.status, 'ordered', [])
    const view = await cartViewOf(crossModule(tx), cart, channel)
    if (view.lines.length === 0)
      throw validationFailed([{ path: 'cartId', message: 'the cart has no lines' }])
    if (!cart.customer_id)
      throw validationFailed([
        { path: 'cartId', message: 'the cart has no customer; identify it first' },
      ])
    const atStore = cart.fulfillment_method === 'pickup' || cart.fulfillment_method === 'curbside'
    return {
      customer: { id: cart.customer_id },
      lines: view.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      currency: cart.currency ?? undefined,
      fulfillment: {
        method: atStore ? 'pickup' : 'ship',
        location: atStore ? cart.fulfillment_location : null,
        address: null,
      },
      cartId: cart.id,
      pathOf: () => 'cartId',
    }
  }
  const c = body.customer!
  const identities = [
    ...(c.email ? [{ kind: 'email' as const, value: c.email }] : []),
    ...(c.phone ? [{ kind: 'phone' as const, value: c.phone }] : []),
  ]
  return {
    customer: c.id ? { id: c.id } : { identities, name: c.name ?? null, channel },
    lines: body.lines!,
    currency: body.currency,
    fulfillment: {
      method: body.fulfillment!.method,
      location: body.fulfillment!.location ?? null,
      address: body.fulfillment!.address ?? null,
    },
    cartId: null,
    pathOf: (i) => `lines.${i}.sku`,
  }
}

/**
 * Unit prices from the one price book the caller's channel sees, in one query. The currency is
 * the basket's, else the only one the first line is priced in. A line with no price in that
 * currency is `validation-failed` at its path (unknown SKUs land here too).
 */
export async function priceBasket(tx: OrdersTx, channel: string | null, basket: Basket) {
  const skus = basket.lines.map((l) => l.sku)
  const prices = await effectivePrices(crossModule(tx), skus, channel, basket.currency)
  let currency = basket.currency
  if (!currency) {
    const first = prices.filter((p) => p.sku === skus[0]).map((p) => p.currency)
    if (first.length > 1)
      throw validationFailed([
        { path: 'currency', message: `${skus[0]} is priced in ${first.join(', ')}; name one` },
      ])
    currency = first[0]
  }
  const unit = new Map(prices.filter((p) => p.currency === currency).map((p) => [p.sku, p.amount]))
  const missing = basket.lines.flatMap((l, i) =>
    unit.has(l.sku)
      ? []
      : [
          {
            path: basket.pathOf(i),
            message: `${l.sku} has no price${currency ? ` in ${currency}` : ''}`,
          },
        ],
  )
  if (missing.length > 0 || !currency) throw validationFailed(missing)
  return { currency, unitOf: (sku: string) => unit.get(sku)! }
}

/** The coupon the promotions module refused, as the problem the caller can act on. */
export function couponRefused(code: string, reason: string) {
  return new DomainError('coupon-not-applicable', `Coupon ${code} cannot be used: ${reason}`, {
    code,
    reason,
  })
}
