import { z } from 'zod'
import { CurrencyCode } from '../../kernel/money.js'

/**
 * `pricing.price_changed` v1: what a channel pays for a SKU changed. `priceChannel` null means
 * the base price book (every channel without its own override); `before`/`after` null mean the
 * price did not exist before or no longer exists.
 */
export const PriceChanged = z.object({
  sku: z.string(),
  currency: CurrencyCode,
  priceChannel: z.string().nullable(),
  before: z.number().int().nullable(),
  after: z.number().int().nullable(),
  reason: z.string().optional(),
})
export type PriceChanged = z.infer<typeof PriceChanged>

export const pricingEvents = {
  'pricing.price_changed': { version: 1, payload: PriceChanged },
} as const
