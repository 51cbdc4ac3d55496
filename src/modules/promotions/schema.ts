import { z } from 'zod'
import { CurrencyCode, Money } from '../../kernel/money.js'
import { PageQuery } from '../../kernel/http/index.js'
import { Sku } from '../catalog/index.js'

export const CouponCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/, 'must be 3–40 letters, digits, - or _')
  .describe('Case-insensitive; stored in capitals')

const Category = z.string().min(1).max(40)
const Limit = z.number().int().min(1).max(1_000_000_000)
const Instant = z.iso.datetime({ offset: true })

export const Discount = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('percentage'), percentOff: z.number().int().min(1).max(100) }),
    z.strictObject({
      type: z.literal('fixed'),
      amountOff: Money.refine((m) => m.amount > 0, {
        message: 'must be more than zero',
        path: ['amount'],
      }),
    }),
  ])
  .meta({ id: 'PromotionDiscount' })

export const Target = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('order') }),
    z.strictObject({ kind: z.literal('skus'), skus: z.array(Sku).min(1).max(500) }),
    z.strictObject({
      kind: z.literal('categories'),
      categories: z.array(Category).min(1).max(100),
    }),
  ])
  .meta({ id: 'PromotionTarget' })
export type Target = z.infer<typeof Target>

export const CreatePromotionBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    trigger: z
      .enum(['automatic', 'coupon'])
      .default('automatic')
      .describe(
        'automatic: applies to every basket it fits; coupon: only with its code or a single-use code',
      ),
    code: CouponCode.optional().describe("A coupon promotion's shared code"),
    discount: Discount,
    target: Target.default({ kind: 'order' }),
    minSpend: Money.optional().describe('The basket subtotal, before discounts, it needs'),
    startsAt: Instant.optional(),
    endsAt: Instant.optional(),
    stackable: z.boolean().default(false),
    usageLimit: Limit.optional().describe('Redemptions in all, by everyone'),
    perCustomerLimit: Limit.optional().describe('Redemptions per customer, on every channel'),
  })
  .superRefine((body, ctx) => {
    if (body.code && body.trigger === 'automatic') {
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: 'only a coupon promotion has a code',
      })
    }
    if (body.startsAt && body.endsAt && Date.parse(body.endsAt) <= Date.parse(body.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' })
    }
    const fixed = body.discount.type === 'fixed' ? body.discount.amountOff.currency : undefined
    if (fixed && body.minSpend && body.minSpend.currency !== fixed) {
      ctx.addIssue({
        code: 'custom',
        path: ['minSpend', 'currency'],
        message: 'must be the currency of amountOff',
      })
    }
  })
  .meta({ id: 'CreatePromotion' })
export type CreatePromotionBody = z.infer<typeof CreatePromotionBody>

export const UpdatePromotionBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    active: z.boolean(),
    startsAt: Instant.nullable(),
    endsAt: Instant.nullable(),
    usageLimit: Limit.nullable(),
    perCustomerLimit: Limit.nullable(),
  })
  .partial()
  .meta({ id: 'UpdatePromotion' })
export type UpdatePromotionBody = z.infer<typeof UpdatePromotionBody>

export const PromotionView = z
  .object({
    id: z.string(),
    name: z.string(),
    trigger: z.enum(['automatic', 'coupon']),
    code: z.string().nullable(),
    discount: Discount,
    target: Target,
    minSpend: Money.nullable(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    active: z.boolean(),
    stackable: z.boolean(),
    usageLimit: z.number().nullable(),
    perCustomerLimit: z.number().nullable(),
    used: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Promotion' })
export type PromotionView = z.infer<typeof PromotionView>

export const PromotionParams = z.object({ id: z.string().min(1).max(60) })
export const PromotionQuery = PageQuery.extend({ active: z.enum(['true', 'false']).optional() })
export type PromotionQuery = z.infer<typeof PromotionQuery>

export const CreateCodesBody = z
  .strictObject({ count: z.number().int().min(1).max(1000), expiresAt: Instant.optional() })
  .meta({ id: 'CreateCouponCodes' })
export type CreateCodesBody = z.infer<typeof CreateCodesBody>

export const CouponCodeView = z.object({
  code: z.string(),
  promotionId: z.string(),
  singleUse: z.boolean(),
  expiresAt: z.string().nullable(),
})
export const CreatedCodesView = z
  .object({ data: z.array(CouponCodeView) })
  .meta({ id: 'CouponCodes' })

export const EvaluateLine = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(100_000),
  unitPrice: Money,
})
export type EvaluateLine = z.infer<typeof EvaluateLine>

export const EvaluateBody = z
  .strictObject({
    lines: z.array(EvaluateLine).min(1).max(500),
    currency: CurrencyCode,
    customerId: z.string().min(1).max(60).optional(),
    coupon: CouponCode.optional(),
  })
  .superRefine((body, ctx) => {
    body.lines.forEach((line, i) => {
      if (line.unitPrice.currency !== body.currency) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'unitPrice', 'currency'],
          message: `must be ${body.currency}`,
        })
      }
    })
  })
  .meta({ id: 'EvaluatePromotions' })
export type EvaluateBody = z.infer<typeof EvaluateBody>

const Amount = z.number().int()
export const PlanView = z
  .object({
    currency: CurrencyCode,
    subtotal: Amount,
    discountTotal: Amount,
    total: Amount,
    lines: z.array(
      z.object({
        index: z.number(),
        sku: z.string(),
        lineTotal: Amount,
        discount: Amount,
        allocations: z.array(z.object({ promotionId: z.string(), amount: Amount })),
      }),
    ),
    applied: z.array(
      z.object({
        promotionId: z.string(),
        name: z.string(),
        code: z.string().nullable(),
        amount: Amount,
        reason: z.string(),
      }),
    ),
    notApplied: z.array(
      z.object({ promotionId: z.string(), code: z.string().nullable(), reason: z.string() }),
    ),
    refusedCoupon: z.object({ code: z.string(), reason: z.string() }).nullable(),
  })
  .meta({ id: 'DiscountPlan' })
export type PlanView = z.infer<typeof PlanView>

export const RedeemBody = z
  .strictObject({
    orderRef: z.string().min(1).max(100),
    customerId: z.string().min(1).max(60).optional(),
    promotionIds: z.array(z.string().min(1).max(60)).max(50).default([]),
    codes: z.array(CouponCode).max(20).default([]),
  })
  .superRefine((body, ctx) => {
    if (body.promotionIds.length === 0 && body.codes.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['promotionIds'],
        message: 'name a promotion or a code',
      })
    }
  })
  .meta({ id: 'RedeemPromotions' })
export type RedeemBody = z.infer<typeof RedeemBody>

export const RedemptionView = z.object({
  id: z.string(),
  promotionId: z.string(),
  code: z.string().nullable(),
  customerId: z.string().nullable(),
  orderRef: z.string(),
  channel: z.string().nullable(),
  createdAt: z.string(),
})
export const RedeemedView = z
  .object({ orderRef: z.string(), data: z.array(RedemptionView) })
  .meta({ id: 'Redemptions' })
export type RedeemedView = z.infer<typeof RedeemedView>

export const CouponParams = z.object({ code: CouponCode })
export const CouponView = z
  .object({
    code: z.string(),
    valid: z.boolean(),
    reason: z.string().nullable().describe('Why it cannot be used now; null when valid'),
    singleUse: z.boolean(),
    expiresAt: z.string().nullable(),
    promotion: PromotionView,
  })
  .meta({ id: 'Coupon' })
export type CouponView = z.infer<typeof CouponView>
