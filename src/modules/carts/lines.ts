import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import type { Currency } from '../../kernel/money.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { effectivePrices } from '../pricing/index.js'
import { touchOpenCart } from './carts.js'
import type { CartRow, CartsTables } from './db.js'
import { cartUpdated } from './events.js'
import { maxLineQuantity, type AddLineBody } from './schema.js'

type CartsTx = Tx<CartsTables>

/**
 * The currency a SKU fixes on a cart that has none: its only price's. Null when the cart has one
 * already or the SKU has none or several (the checks after the touch then name the problem).
 */
function currencyFor(prices: readonly { currency: Currency }[]): Currency | null {
  return prices.length === 1 ? prices[0]!.currency : null
}

/** Refuses a SKU without a price in the cart's currency: a cart never mixes currencies. */
function assertPriced(cart: CartRow, sku: string, prices: readonly { currency: Currency }[]) {
  if (prices.length === 0) throw validationFailed([{ path: 'sku', message: `no SKU ${sku} with a price` }])
  if (!cart.currency) {
    throw validationFailed([
      { path: 'sku', message: `${sku} is priced in ${prices.map((p) => p.currency).join(', ')}: create the cart with a currency` },
    ])
  }
  if (!prices.some((p) => p.currency === cart.currency)) {
    throw validationFailed([{ path: 'sku', message: `${sku} has no price in ${cart.currency}, the cart's currency` }])
  }
}

/**
 * Adds `quantity` of a SKU; a SKU already in the cart has the quantities summed. The SKU must
 * have a price in the cart's currency (`validation-failed` at `sku`); the first line fixes the
 * currency of a cart created without one. The sum is done by one INSERT … ON CONFLICT DO UPDATE
 * (`quantity = line.quantity + excluded.quantity`), so two devices adding at once both count: the
 * second waits on the row and adds to the committed value. A sum past the line maximum matches
 * the guard in that statement's WHERE and is `validation-failed` at `quantity`, writing nothing.
 * Appends `cart.updated` (line_added).
 */
export async function addLine(
  tx: CartsTx,
  clock: Clock,
  id: string,
  input: AddLineBody,
  channel: string | null,
): Promise<CartRow> {
  const prices = await effectivePrices(crossModule(tx), [input.sku], null)
  const cart = await touchOpenCart(tx, clock, id, currencyFor(prices))
  assertPriced(cart, input.sku, prices)
  const now = clock.now()
  const added = await sql<{ quantity: number }>`
    insert into carts.cart_line as l (cart_id, sku, quantity, created_at, updated_at)
    values (${cart.id}, ${input.sku}, ${input.quantity}, ${now}, ${now})
    on conflict (cart_id, sku) do update
      set quantity = l.quantity + excluded.quantity, updated_at = excluded.updated_at
      where l.quantity + excluded.quantity <= ${maxLineQuantity}
    returning quantity`.execute(tx)
  if (added.rows.length === 0) {
    throw validationFailed([{ path: 'quantity', message: `a line holds at most ${maxLineQuantity} units` }])
  }
  await appendEvents(crossModule(tx), clock, [cartUpdated(cart, channel, 'line_added', input)])
  return cart
}

/**
 * Sets a line's quantity; 0 removes the line. A SKU not in the cart is `not-found`. Appends
 * `cart.updated` (line_changed or line_removed).
 */
export async function setLineQuantity(
  tx: CartsTx,
  clock: Clock,
  id: string,
  sku: string,
  quantity: number,
  channel: string | null,
): Promise<CartRow> {
  if (quantity === 0) return removeLine(tx, clock, id, sku, channel)
  const cart = await touchOpenCart(tx, clock, id)
  const changed = await tx
    .updateTable('carts.cart_line')
    .set({ quantity, updated_at: clock.now() })
    .where('cart_id', '=', cart.id)
    .where('sku', '=', sku)
    .executeTakeFirst()
  if (changed.numUpdatedRows === 0n) throw notFound('cart line', sku)
  await appendEvents(crossModule(tx), clock, [cartUpdated(cart, channel, 'line_changed', { sku, quantity })])
  return cart
}

/** Removes a line; a SKU not in the cart is `not-found`. Appends `cart.updated` (line_removed). */
export async function removeLine(
  tx: CartsTx,
  clock: Clock,
  id: string,
  sku: string,
  channel: string | null,
): Promise<CartRow> {
  const cart = await touchOpenCart(tx, clock, id)
  const removed = await tx
    .deleteFrom('carts.cart_line')
    .where('cart_id', '=', cart.id)
    .where('sku', '=', sku)
    .executeTakeFirst()
  if (removed.numDeletedRows === 0n) throw notFound('cart line', sku)
  await appendEvents(crossModule(tx), clock, [cartUpdated(cart, channel, 'line_removed', { sku, quantity: 0 })])
  return cart
}
