import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { validationFailed } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { couponNotApplicable, waitsOnBasket } from '../promotions/index.js'
import { touchOpenCart } from './carts.js'
import type { CartRow, CartsTables } from './db.js'
import { cartUpdated } from './events.js'
import type { CartView } from './schema.js'
import { cartViewOf, type Viewer } from './views.js'

type CartsTx = Tx<CartsTables>

function setCoupon(tx: CartsTx, id: string, coupon: string | null): Promise<CartRow> {
  return tx
    .updateTable('carts.cart')
    .set({ coupon })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * Applies a coupon code to an open cart with lines, replacing any other, and answers the cart as
 * `viewer` sees it. A code that cannot be used whatever the cart holds is
 * `coupon-not-applicable` with the reason, and the cart keeps what it had; one that waits on the
 * cart (a minimum spend, a customer for a once-per-customer offer) is kept, and the view says
 * why it does not apply yet. Appends `cart.updated` (coupon_applied).
 */
export async function applyCoupon(
  tx: CartsTx,
  clock: Clock,
  id: string,
  code: string,
  viewer: Viewer,
): Promise<{ cart: CartRow; view: CartView }> {
  const upper = code.toUpperCase()
  const touched = await touchOpenCart(tx, clock, id)
  // Judged as the cart would be with the code, before anything is written.
  const view = await cartViewOf(tx, clock, { ...touched, coupon: upper }, viewer)
  if (view.lines.length === 0)
    throw validationFailed([
      { path: 'code', message: "add a line first: a coupon is checked against the cart's lines" },
    ])
  const reason = view.coupon?.reason ?? null
  if (reason !== null && !waitsOnBasket(reason)) throw couponNotApplicable(reason, { code: upper })
  const cart = await setCoupon(tx, id, upper)
  await appendEvents(crossModule(tx), clock, [cartUpdated(cart, viewer.channel, 'coupon_applied')])
  return { cart, view }
}

/**
 * Takes the coupon off an open cart (nothing to do when it has none). Appends `cart.updated`
 * (coupon_removed).
 */
export async function removeCoupon(
  tx: CartsTx,
  clock: Clock,
  id: string,
  channel: string | null,
): Promise<CartRow> {
  await touchOpenCart(tx, clock, id)
  const cart = await setCoupon(tx, id, null)
  await appendEvents(crossModule(tx), clock, [cartUpdated(cart, channel, 'coupon_removed')])
  return cart
}
