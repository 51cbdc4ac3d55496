import type { Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'

export type ReturnCondition = 'unopened' | 'as_new' | 'used' | 'damaged'
export type Disposition = 'restocked' | 'quarantined'
/**
 * Where the money went: a provider refund to the card, cash at the counter, back to the gift
 * card or store credit that paid, a new store credit account, or nothing (nothing was owed).
 */
export type RefundMethod = 'card' | 'cash' | 'stored_value' | 'store_credit' | 'none'
/**
 * `awaiting_goods`: a return sent by post, refunded when received. `refunding` is claimed by one
 * process calling the provider; the others leave it alone until
 * the claim (the row's `updated_at`) is older than `refundLeaseMs`, when its process is taken to
 * have stopped and a retry takes it over, resuming the same refund.
 */
export type RefundStatus = 'awaiting_goods' | 'pending' | 'refunding' | 'refunded'

export type PolicyTable = {
  // One policy for the business; the check keeps it one row.
  id: string
  window_days: number
  accepted_conditions: ReturnCondition[]
  quarantine_conditions: ReturnCondition[]
  id_proof_channel_kinds: string[]
  non_returnable_categories: string[]
  quarantine_location: string | null
  post_location: string | null
  updated_at: Date
}

export type ReturnTable = {
  id: string
  // From returns.return_number: unique and increasing, with gaps where a return rolled back.
  number: number
  order_id: string
  order_number: number
  customer_id: string
  channel: string | null
  touchpoint: string
  store: string | null
  staff: string | null
  // Where the parcel or the customer brought the goods; null only for a by-post return with
  // lines received at their own shipping locations.
  location: string | null
  by_post: boolean
  currency: Currency
  // What the returned units were paid; refund_minor is what goes back, the rest paid a replacement.
  value_minor: number
  refund_minor: number
  refund_method: RefundMethod
  refund_status: RefundStatus
  refund_payment_id: string | null
  store_credit_code: string | null
  exchange_order_id: string | null
  exchange_applied_minor: number
  exchange_credit_code: string | null
  extra_payment_id: string | null
  refunded_at: Date | null
  // Null while a by-post return's parcel is on its way: nothing restocked, nothing refunded.
  received_at: Date | null
  refund_wanted: 'original' | 'store_credit'
  created_at: Date
  updated_at: Date
}

export type ReturnLineTable = {
  return_id: string
  seq: number
  sku: string
  quantity: number
  reason: string
  condition: ReturnCondition
  disposition: Disposition
  location: string
  refund_minor: number
}

/** Units of each SKU of an order returned so far: the guard row concurrent returns queue on. */
export type ReturnedQuantityTable = {
  order_id: string
  sku: string
  quantity: number
}

export type PolicyRow = Selectable<PolicyTable>
export type ReturnRow = Selectable<ReturnTable>
export type ReturnLineRow = Selectable<ReturnLineTable>

export type ReturnsTables = {
  'returns.policy': PolicyTable
  'returns.return': ReturnTable
  'returns.return_line': ReturnLineTable
  'returns.returned_quantity': ReturnedQuantityTable
}
