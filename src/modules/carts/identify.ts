import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { resolveCustomer } from '../customers/index.js'
import { cartClosed, findCart, lockCustomerCarts, touchOpenCart } from './carts.js'
import type { CartRow, CartsTables } from './db.js'
import { cartMerged, cartUpdated } from './events.js'
import type { IdentifyBody } from './schema.js'

type CartsTx = Tx<CartsTables>

/** Locks a cart row for the rest of the transaction; closed carts are refused. */
async function lockOpenCart(tx: CartsTx, id: string): Promise<CartRow> {
  const row = await tx.selectFrom('carts.cart').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (!row) return findCart(tx, id)
  if (row.status === 'merged' || row.status === 'ordered') throw cartClosed(row)
  return row
}

/**
 * Moves every line of `from` into `into`, summing quantities per SKU in one statement (nothing
 * is dropped), and its coupon when `into` has none, then closes `from` as merged into `into`.
 * Both rows are locked by the caller. A visitor identifying chooses, so carts in two currencies
 * are refused; when two profiles are merged nobody is asking, so `into` keeps its currency and
 * reprices the lines.
 */
export async function mergeLines(
  tx: CartsTx,
  clock: Clock,
  from: CartRow,
  into: CartRow,
  currencies: 'must-match' | 'into-wins' = 'must-match',
): Promise<void> {
  if (currencies === 'must-match' && from.currency && into.currency && from.currency !== into.currency) {
    throw validationFailed([
      { path: 'identities', message: `this cart is in ${from.currency} but the customer's cart is in ${into.currency}` },
    ])
  }
  const now = clock.now()
  await sql`
    insert into carts.cart_line as l (cart_id, sku, quantity, created_at, updated_at)
    select ${into.id}, sku, quantity, created_at, ${now} from carts.cart_line where cart_id = ${from.id}
    order by seq
    on conflict (cart_id, sku) do update
      set quantity = l.quantity + excluded.quantity, updated_at = excluded.updated_at`.execute(tx)
  await tx
    .updateTable('carts.cart')
    .set({
      status: 'merged',
      merged_into: into.id,
      original_customer_id: sql<string | null>`coalesce(original_customer_id, customer_id)`,
      customer_id: into.customer_id,
      updated_at: now,
    })
    .where('id', '=', from.id)
    .execute()
  // A coupon the visitor entered goes along, unless the customer's cart already has one.
  if (from.coupon && !into.coupon) {
    await tx
      .updateTable('carts.cart')
      .set({ coupon: from.coupon })
      .where('id', '=', into.id)
      .execute()
  }
}

/**
 * The visitor of an anonymous cart says who they are. Resolves the customer with the customers
 * module (identities normalised, unknown people created; `validation-failed` at
 * `identities.<i>.value`), recording the cart's anonymous id as an `anonymous_id` identity of
 * theirs. When the customer already has an open cart, this cart's lines are added to it
 * (quantities summed per SKU) and this cart is closed as `merged` pointing at it; otherwise this
 * cart simply becomes theirs. Answers the customer's cart. A cart already belonging to another
 * customer is `illegal-transition`; identifying as its own customer changes nothing.
 *
 * Concurrency: this cart's row is locked first, then resolveCustomer locks the profile row, then
 * the customer's carts (lockCustomerCarts, shared with createCart) — always in that order, so two
 * carts identifying as one person, or a cart started for them meanwhile, run one after another
 * and the later merges into the earlier's result. Appends `cart.merged`
 * and `cart.updated` (merged_in or identified) on the surviving cart.
 */
export async function identifyCart(
  tx: CartsTx,
  clock: Clock,
  id: string,
  input: IdentifyBody,
  channel: string | null,
): Promise<CartRow> {
  const cart = await lockOpenCart(tx, id)
  const anonymous = cart.anonymous_id ? [{ kind: 'anonymous_id' as const, value: cart.anonymous_id }] : []
  const { customer } = await resolveCustomer(crossModule(tx), clock, {
    identities: [...input.identities, ...anonymous],
    name: input.name ?? null,
    channel,
  })
  if (cart.customer_id) {
    if (cart.customer_id === customer.id) return cart
    throw new DomainError('illegal-transition', `Cart ${cart.id} belongs to another customer`, {
      from: 'identified',
      to: 'identified',
      allowed: [],
    })
  }
  await lockCustomerCarts(tx, customer.id)
  const theirs = await tx
    .selectFrom('carts.cart')
    .selectAll()
    .where('customer_id', '=', customer.id)
    .where('status', 'in', ['active', 'abandoned'])
    .forUpdate()
    .executeTakeFirst()
  if (!theirs) {
    await tx.updateTable('carts.cart').set({ customer_id: customer.id }).where('id', '=', cart.id).execute()
    const owned = await touchOpenCart(tx, clock, cart.id)
    await appendEvents(crossModule(tx), clock, [cartUpdated(owned, channel, 'identified')])
    return owned
  }
  await mergeLines(tx, clock, cart, theirs)
  const survivor = await touchOpenCart(tx, clock, theirs.id, cart.currency)
  await appendEvents(crossModule(tx), clock, [
    cartMerged(cart, survivor, channel),
    cartUpdated(survivor, channel, 'merged_in'),
  ])
  return survivor
}
