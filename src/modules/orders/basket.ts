import { crossModule, type Tx } from '../../kernel/db/index.js'
import { illegalTransition, validationFailed } from '../../kernel/errors.js'
import type { Currency } from '../../kernel/money.js'
import { findCart, linesOf, type closeCart } from '../carts/index.js'
import type { ResolveInput } from '../customers/index.js'
import { effectivePrices } from '../pricing/index.js'
import type { FulfillmentMethod, OrdersTables } from './db.js'
import type { Address, PlaceOrderBody } from './schema.js'

type OrdersTx = Tx<OrdersTables>

/** A cart as placement closed it. */
export type ClosedCart = Awaited<ReturnType<typeof closeCart>>

/** What is ordered, for whom and how it leaves, whether it came from a cart or directly. */
export type Basket = {
  customer: ResolveInput
  lines: { sku: string; quantity: number }[]
  currency: Currency | undefined
  fulfillment: {
    method: FulfillmentMethod
    location: string | null
    address: Address | null
    vehicle: string | null
  }
  cartId: string | null
  /** The body's coupon, else the one applied to the cart. */
  coupon: string | null
  /** Where a line's problems are reported: `lines.N.sku`, or `cartId` for a cart's lines. */
  pathOf: (index: number) => string
  /** Where a problem with the store or the address is reported. */
  fulfillmentPathOf: (field: 'location' | 'address') => string
}

/**
 * The basket of a placement. A cart gives its lines, currency, customer and fulfilment method
 * and store (recorded as chosen: courier and curbside stay what they are); the body may add the
 * address and the vehicle. The cart must be open (`illegal-transition` once merged or
 * ordered), have lines and a customer. Direct orders give everything in the body; contacts
 * become identities for `resolveCustomer`.
 */
export async function basketOf(
  tx: OrdersTx,
  channel: string | null,
  body: PlaceOrderBody,
  closed?: ClosedCart,
): Promise<Basket> {
  if (body.cartId) {
    // Placement closes the cart first, holding its row until commit: no line can slip in after.
    const cart = closed ?? (await findCart(crossModule(tx), body.cartId))
    if (!closed && cart.status !== 'active' && cart.status !== 'abandoned')
      throw illegalTransition('cart', cart.status, 'ordered', [])
    const lines = await linesOf(crossModule(tx), cart.id)
    if (lines.length === 0)
      throw validationFailed([{ path: 'cartId', message: 'the cart has no lines' }])
    if (!cart.customer_id)
      throw validationFailed([
        { path: 'cartId', message: 'the cart has no customer; identify it first' },
      ])
    const method = cart.fulfillment_method
    const atStore = method === 'pickup' || method === 'curbside'
    const given = body.fulfillment
    if (atStore && given?.address)
      throw validationFailed([
        { path: 'fulfillment.address', message: `the cart is for ${method}` },
      ])
    if (method !== 'curbside' && given?.vehicle)
      throw validationFailed([
        { path: 'fulfillment.vehicle', message: `the cart is for ${method}` },
      ])
    return {
      customer: { id: cart.customer_id },
      lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      coupon: body.coupon ?? cart.coupon,
      currency: cart.currency ?? undefined,
      fulfillment: {
        method,
        location: atStore ? cart.fulfillment_location : null,
        address: given?.address ?? null,
        vehicle: given?.vehicle ?? null,
      },
      cartId: cart.id,
      pathOf: () => 'cartId',
      fulfillmentPathOf: (field) => (field === 'location' ? 'cartId' : 'fulfillment.address'),
    }
  }
  const c = body.customer!
  const identities = [
    ...(c.email ? [{ kind: 'email' as const, value: c.email }] : []),
    ...(c.phone ? [{ kind: 'phone' as const, value: c.phone }] : []),
  ]
  const f = body.fulfillment!
  return {
    customer: c.id ? { id: c.id } : { identities, name: c.name ?? null, channel },
    lines: body.lines!,
    currency: body.currency,
    fulfillment: {
      method: f.method!,
      location: f.location ?? null,
      address: f.address ?? null,
      vehicle: f.vehicle ?? null,
    },
    cartId: null,
    coupon: body.coupon ?? null,
    pathOf: (i) => `lines.${i}.sku`,
    fulfillmentPathOf: (field) => `fulfillment.${field}`,
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

