import type { Generated, Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'

/**
 * `active` and `abandoned` carts are open (either is the customer's cart); `merged` and
 * `ordered` are closed.
 */
export type CartStatus = 'active' | 'abandoned' | 'merged' | 'ordered'
export type FulfillmentMethod = 'ship' | 'courier' | 'pickup' | 'curbside'

export type CartTable = {
  id: string
  customer_id: string | null
  // Whose cart it was before merges moved it (null: customer_id's); an unmerge gives it back.
  original_customer_id: Generated<string | null>
  anonymous_id: string | null
  // The touchpoint that started the cart; prices follow whichever channel asks.
  channel: string | null
  // Null until the first line fixes it, when the cart was created without one.
  currency: Currency | null
  status: CartStatus
  merged_into: string | null
  // The order placed from the cart, once ordered.
  order_id: Generated<string | null>
  fulfillment_method: FulfillmentMethod
  // The store for pickup and curbside; null when shipping.
  fulfillment_location: string | null
  // The coupon code applied (in capitals); whether it applies is decided on every view.
  coupon: Generated<string | null>
  last_activity_at: Date
  abandoned_at: Date | null
  created_at: Date
  updated_at: Date
}

export type CartLineTable = {
  cart_id: string
  seq: Generated<number>
  sku: string
  quantity: number
  created_at: Date
  updated_at: Date
}

export type CartRow = Selectable<CartTable>
export type CartLineRow = Selectable<CartLineTable>

export type CartsTables = {
  'carts.cart': CartTable
  'carts.cart_line': CartLineTable
}
