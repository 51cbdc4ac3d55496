import type { Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'

/** A variant's base price in one currency: what every channel charges unless overridden. */
export type PriceTable = {
  sku: string
  currency: Currency
  amount_minor: number
  created_at: Date
  updated_at: Date
}

/** A staff-set exception to the base price for one channel, with the reason it exists. */
export type PriceOverrideTable = {
  sku: string
  currency: Currency
  channel: string
  amount_minor: number
  reason: string
  set_by: string
  created_at: Date
  updated_at: Date
}

export type PriceRow = Selectable<PriceTable>
export type PriceOverrideRow = Selectable<PriceOverrideTable>

export type PricingTables = {
  'pricing.price': PriceTable
  'pricing.price_override': PriceOverrideTable
}
