import type { Selectable } from 'kysely'
import type { FulfillmentMethod, FulfillmentState } from './states.js'

/** A provider call owed once the transition has committed; cleared when it has been made. */
export type PaymentDue = 'capture' | 'void'

export type FulfillmentTable = {
  id: string
  order_id: string
  order_number: number
  location: string
  method: FulfillmentMethod
  status: FulfillmentState
  // Copied from the order at placement, so events and payments need no call back into orders.
  customer_id: string
  channel: string | null
  reservation_id: string
  payment_id: string
  payment_method: string
  carrier: string | null
  tracking_number: string | null
  payment_due: PaymentDue | null
  ready_at: Date | null
  created_at: Date
  updated_at: Date
}

export type FulfillmentLineTable = {
  fulfillment_id: string
  sku: string
  quantity: number
}

export type FulfillmentRow = Selectable<FulfillmentTable>
export type FulfillmentLineRow = Selectable<FulfillmentLineTable>

export type FulfillmentTables = {
  'fulfillment.fulfillment': FulfillmentTable
  'fulfillment.fulfillment_line': FulfillmentLineTable
}
