import type { Generated, Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'
import type { PaymentMethod, PaymentStatus } from './states.js'

export type PaymentTable = {
  id: string
  // What the money is for: an order id, a booking; never a foreign key into another module.
  reference: string
  method: PaymentMethod
  currency: Currency
  amount_minor: number
  refunded_minor: Generated<number>
  status: PaymentStatus
  provider: string | null
  provider_payment_id: string | null
  card_last4: string | null
  stored_value_code: string | null
  failure_code: string | null
  decline_code: string | null
  customer_id: string | null
  channel: string | null
  // The caller's key id and Idempotency-Key: a retried POST finds this payment instead of a new one.
  owner_key: string | null
  request_key: string | null
  request_hash: string | null
  created_at: Date
  updated_at: Date
}
export type PaymentRow = Selectable<PaymentTable>

export type PaymentEventTable = {
  id: Generated<number>
  payment_id: string
  kind: string
  status: PaymentStatus
  amount_minor: number
  detail: unknown
  at: Date
}

export type WebhookEventTable = {
  provider: string
  event_id: string
  type: string
  payment_id: string | null
  received_at: Date
}

export type StoredValueKind = 'gift_card' | 'store_credit'

export type StoredValueAccountTable = {
  id: string
  code: string
  kind: StoredValueKind
  currency: Currency
  // Always equal to the sum of the account's ledger entries; kept so a spend is one guarded UPDATE.
  balance_minor: number
  customer_id: string | null
  created_at: Date
}
export type StoredValueAccountRow = Selectable<StoredValueAccountTable>

export type StoredValueEntryTable = {
  id: Generated<number>
  account_id: string
  amount_minor: number
  reason: 'issue' | 'top_up' | 'spend' | 'refund' | 'release'
  reference: string | null
  channel: string | null
  at: Date
}

export type PaymentsTables = {
  'payments.payment': PaymentTable
  'payments.payment_event': PaymentEventTable
  'payments.webhook_event': WebhookEventTable
  'payments.stored_value_account': StoredValueAccountTable
  'payments.stored_value_entry': StoredValueEntryTable
}
