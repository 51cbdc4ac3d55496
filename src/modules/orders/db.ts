import type { Generated, Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'
import type { OrderStatus } from './states.js'

export type FulfillmentMethod = 'ship' | 'courier' | 'pickup' | 'curbside'
export type OrderPaymentMethod = 'card' | 'cash_on_delivery' | 'in_store' | 'store_credit'

export type OrderTable = {
  id: string
  // From orders.order_number: unique and increasing, with gaps where a placement rolled back.
  number: number
  status: OrderStatus
  channel: string | null
  // The API key that placed the order (touchpoint or staff).
  touchpoint: string
  store: string | null
  // The staff key, for orders staff placed.
  staff: string | null
  customer_id: string
  // Who placed it, once a merge moved customer_id to the survivor (null: customer_id).
  placed_customer_id: Generated<string | null>
  currency: Currency
  subtotal_minor: number
  discount_minor: number
  shipping_minor: number
  total_minor: number
  fulfillment_method: FulfillmentMethod
  fulfillment_location: string | null
  address: unknown
  // A curbside customer's note on their car, so the clerk finds them.
  vehicle: Generated<string | null>
  sourcing: Generated<unknown>
  payment_method: OrderPaymentMethod
  payment_id: string
  reservation_id: string
  coupon: string | null
  cart_id: string | null
  created_at: Date
  updated_at: Date
}

export type OrderLineTable = {
  order_id: string
  seq: number
  sku: string
  quantity: number
  unit_price_minor: number
  discount_minor: number
  location: string
}

export type OrderEventTable = {
  id: Generated<number>
  order_id: string
  status: OrderStatus
  kind: string
  detail: unknown
  at: Date
}

export type SettingTable = {
  name: string
  value: unknown
  updated_at: Date
}

export type ShippingRateTable = {
  method: 'ship' | 'courier'
  currency: Currency
  amount_minor: number
  free_from_minor: number | null
  updated_at: Date
}

export type OrderRow = Selectable<OrderTable>
export type OrderLineRow = Selectable<OrderLineTable>
export type OrderEventRow = Selectable<OrderEventTable>

export type OrdersTables = {
  'orders.order': OrderTable
  'orders.order_line': OrderLineTable
  'orders.order_event': OrderEventTable
  'orders.setting': SettingTable
  'orders.shipping_rate': ShippingRateTable
}
