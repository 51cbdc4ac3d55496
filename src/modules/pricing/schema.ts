import { z } from 'zod'
import { CurrencyCode, formatMoney, Money, type Currency } from '../../kernel/money.js'
import { PageQuery } from '../../kernel/http/index.js'

/** Same rule as the catalog's SKUs, repeated so pricing needs nothing from the catalog. */
export const SkuParam = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 letters, digits, ., _ or -, starting with a letter or digit',
  )

export const ChannelCodeParam = z.string().min(1).max(40)

export const PriceView = z
  .object({
    amount: z.number().int(),
    currency: CurrencyCode,
    display: z.string().describe('For people: `12,500,000 IRR`, `19.90 EUR`'),
    source: z
      .enum(['base', 'override'])
      .describe("`override` when the caller's channel has its own price"),
  })
  .meta({ id: 'Price' })
export type PriceView = z.infer<typeof PriceView>

export const OverrideView = z
  .object({
    channel: z.string(),
    amount: z.number().int(),
    currency: CurrencyCode,
    display: z.string(),
    baseAmount: z.number().int(),
    reason: z.string(),
    setBy: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'PriceOverride' })
export type OverrideView = z.infer<typeof OverrideView>

export const SkuPricesView = z
  .object({
    sku: z.string(),
    prices: z.array(PriceView).describe('Base prices, one per currency, used by every channel'),
    effective: z.array(PriceView).describe("What the caller's channel (or `?channel=`) pays"),
    overrides: z.array(OverrideView),
  })
  .meta({ id: 'SkuPrices' })
export type SkuPricesView = z.infer<typeof SkuPricesView>

const distinctCurrencies = (prices: readonly Money[], ctx: z.RefinementCtx) => {
  const seen = new Set<Currency>()
  prices.forEach((p, i) => {
    if (seen.has(p.currency)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prices', i, 'currency'],
        message: `${p.currency} is listed twice`,
      })
    }
    seen.add(p.currency)
  })
}

export const SetPricesBody = z
  .strictObject({
    prices: z
      .array(Money)
      .min(1)
      .max(20)
      .describe('The complete set: currencies left out lose their price'),
  })
  .superRefine((body, ctx) => distinctCurrencies(body.prices, ctx))
  .meta({ id: 'SetPrices' })
export type SetPricesBody = z.infer<typeof SetPricesBody>

export const SetOverrideBody = z
  .strictObject({
    price: Money,
    reason: z
      .string()
      .trim()
      .min(3)
      .max(500)
      .describe('Why this channel differs; kept in the audit trail'),
  })
  .meta({ id: 'SetPriceOverride' })
export type SetOverrideBody = z.infer<typeof SetOverrideBody>

export const SkuParams = z.object({ sku: SkuParam })
export const OverrideParams = z.object({ sku: SkuParam, channel: ChannelCodeParam })
export const PricesQuery = z.strictObject({
  channel: ChannelCodeParam.optional().describe('Staff only: show what this channel pays'),
})
export const OverrideDeleteQuery = z.strictObject({
  currency: CurrencyCode.optional().describe('Remove only this currency; default: every currency'),
})

export const ConsistencyEntry = z
  .object({
    sku: z.string(),
    currency: CurrencyCode,
    base: PriceView,
    overrides: z.array(OverrideView),
  })
  .meta({ id: 'PriceInconsistency' })
export type ConsistencyEntry = z.infer<typeof ConsistencyEntry>

export const ConsistencyQuery = PageQuery.extend({
  channel: ChannelCodeParam.optional().describe('Only overrides of this channel'),
  currency: CurrencyCode.optional(),
}).strict()
export type ConsistencyQuery = z.infer<typeof ConsistencyQuery>

export function priceView(
  amount: number,
  currency: Currency,
  source: PriceView['source'] = 'base',
): PriceView {
  return { amount, currency, display: formatMoney({ amount, currency }), source }
}
