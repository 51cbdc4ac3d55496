import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, notFound, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { Currency } from '../../kernel/money.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { getCustomer } from '../customers/index.js'
import { assertLocationsExist, getLocation } from '../locations/index.js'
import type { CartRow, CartsTables } from './db.js'
import { cartUpdated } from './events.js'
import type { CreateCartBody, FulfillmentBody } from './schema.js'

type CartsTx = Tx<CartsTables>
const open = ['active', 'abandoned'] as const

/** A cart by id, whatever its status; `not-found` otherwise. */
export async function findCart(tx: CartsTx, id: string): Promise<CartRow> {
  const row = await tx.selectFrom('carts.cart').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('cart', id)
  return row
}

/**
 * The refusal for a write to a closed cart; names the cart that took its lines (merged) or the
 * order placed from it (ordered).
 */
export function cartClosed(cart: CartRow) {
  const detail =
    cart.status === 'ordered'
      ? `Cart ${cart.id} was ordered as ${cart.order_id}; start a new cart`
      : `Cart ${cart.id} is ${cart.status}${cart.merged_into ? ` into ${cart.merged_into}` : ''}; use that cart`
  return new DomainError('illegal-transition', detail, {
    from: cart.status,
    to: 'active',
    allowed: [],
    mergedInto: cart.merged_into,
    ...(cart.order_id && { orderId: cart.order_id }),
  })
}

/**
 * Closes an open cart as `ordered`, pointing at the order, in the placement's transaction, and
 * opens the customer's next cart (empty, same channel and currency), so every touchpoint asking
 * for the customer's cart gets the new one. The guard `status in (active, abandoned)` is the
 * UPDATE's WHERE, so two orders of one cart cannot both close it — the second is
 * `illegal-transition` (409) and its placement rolls back. Appends `cart.updated` (ordered, and
 * created for the next cart).
 */
export async function closeCart(tx: CartsTx, clock: Clock, id: string, orderId: string): Promise<CartRow> {
  const now = clock.now()
  const row = await tx
    .updateTable('carts.cart')
    .set({ status: 'ordered', order_id: orderId, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', open)
    .returningAll()
    .executeTakeFirst()
  if (!row) throw cartClosed(await findCart(tx, id))
  await appendEvents(crossModule(tx), clock, [cartUpdated(row, row.channel, 'ordered')])
  if (row.customer_id)
    await createCart(tx, clock, { customerId: row.customer_id, ...(row.currency && { currency: row.currency }) }, row.channel)
  return row
}

/**
 * Marks an open cart changed (active again if it was abandoned, activity now) and takes its row
 * lock, so every write to one cart runs after the previous one commits. `currency` fills the
 * cart's currency only when it has none. `not-found` for no cart; `illegal-transition` for a
 * merged one.
 */
export async function touchOpenCart(
  tx: CartsTx,
  clock: Clock,
  id: string,
  currency: Currency | null = null,
): Promise<CartRow> {
  const now = clock.now()
  const row = await tx
    .updateTable('carts.cart')
    .set({
      status: 'active',
      abandoned_at: null,
      last_activity_at: now,
      updated_at: now,
      currency: sql<Currency | null>`coalesce(currency, ${currency}::text)`,
    })
    .where('id', '=', id)
    .where('status', 'in', open)
    .returningAll()
    .executeTakeFirst()
  if (row) return row
  throw cartClosed(await findCart(tx, id))
}

async function customerIdOf(tx: CartsTx, id: string): Promise<string> {
  try {
    return (await getCustomer(crossModule(tx), id)).id
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'not-found') {
      throw validationFailed([{ path: 'customerId', message: `no customer ${id}` }])
    }
    throw err
  }
}

/**
 * Serialises, until commit, every transaction that may give a customer a cart (a new cart for
 * them, an anonymous cart becoming theirs): the partial unique index would otherwise turn two
 * such racing writes into a unique violation instead of one finding the other's cart.
 */
export async function lockCustomerCarts(tx: CartsTx, customerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`carts.customer:${customerId}`}, 0))`.execute(tx)
}

/** The open cart of a customer (already resolved to the survivor), or undefined. */
export function openCartOf(tx: CartsTx, customerId: string) {
  return tx
    .selectFrom('carts.cart')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('status', 'in', open)
    .executeTakeFirst()
}

/**
 * Starts a cart for a customer (the survivor when merged; unknown is `validation-failed` at
 * `customerId`) or an anonymous visitor, stamped with the caller's channel. A customer or
 * visitor with an open cart gets that cart back (`created: false`): the partial unique indexes
 * decide under concurrency, with INSERT … ON CONFLICT DO NOTHING waiting for a racing insert.
 * Appends `cart.updated` (created) for a new cart.
 */
export async function createCart(
  tx: CartsTx,
  clock: Clock,
  input: CreateCartBody,
  channel: string | null,
): Promise<{ cart: CartRow; created: boolean }> {
  const customerId = input.customerId === undefined ? null : await customerIdOf(tx, input.customerId)
  const anonymousId = customerId ? null : (input.anonymousId ?? null)
  if (customerId) await lockCustomerCarts(tx, customerId)
  const now = clock.now()
  const inserted = await sql<CartRow>`
    insert into carts.cart (id, customer_id, anonymous_id, channel, currency, status,
      fulfillment_method, last_activity_at, created_at, updated_at)
    values (${newId('crt')}, ${customerId}, ${anonymousId}, ${channel}, ${input.currency ?? null},
      'active', 'ship', ${now}, ${now}, ${now})
    on conflict do nothing
    returning *`.execute(tx)
  const row = inserted.rows[0]
  if (row) {
    await appendEvents(crossModule(tx), clock, [cartUpdated(row, channel, 'created')])
    return { cart: row, created: true }
  }
  let q = tx.selectFrom('carts.cart').selectAll().where('status', 'in', open)
  q = customerId ? q.where('customer_id', '=', customerId) : q.where('anonymous_id', '=', anonymousId!).where('customer_id', 'is', null)
  return { cart: await q.executeTakeFirstOrThrow(), created: false }
}

/** A customer's open cart (following merged customers to the survivor); `not-found` when none. */
export async function customerCart(tx: CartsTx, customerId: string): Promise<CartRow> {
  const customer = await getCustomer(crossModule(tx), customerId)
  const cart = await openCartOf(tx, customer.id)
  if (!cart) throw notFound('cart of customer', customerId)
  return cart
}

/**
 * Chooses how the cart is fulfilled. Pickup and curbside need a location with the pickup
 * capability (`validation-failed` at `location` otherwise); shipping methods clear the store.
 * Appends `cart.updated` (fulfillment_set).
 */
export async function setFulfillment(
  tx: CartsTx,
  clock: Clock,
  id: string,
  input: FulfillmentBody,
  channel: string | null,
): Promise<CartRow> {
  if (input.location) await assertPickupStore(tx, input.location)
  await touchOpenCart(tx, clock, id)
  const row = await tx
    .updateTable('carts.cart')
    .set({ fulfillment_method: input.method, fulfillment_location: input.location ?? null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  await appendEvents(crossModule(tx), clock, [cartUpdated(row, channel, 'fulfillment_set')])
  return row
}

async function assertPickupStore(tx: CartsTx, code: string) {
  await assertLocationsExist(crossModule(tx), [{ code, path: 'location' }])
  const location = await getLocation(crossModule(tx), code)
  if (!location.capabilities.pickup) {
    throw validationFailed([{ path: 'location', message: `${code} does not offer pickup` }])
  }
}
