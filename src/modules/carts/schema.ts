import { z } from 'zod'
import { CurrencyCode, Money } from '../../kernel/money.js'
import { IdentityInput } from '../customers/index.js'

/** Same rule as the catalog's SKUs, repeated so a bad SKU is refused before any query. */
export const Sku = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 letters, digits, ., _ or -, starting with a letter or digit',
  )

export const maxLineQuantity = 9_999
const Quantity = z.number().int().min(1).max(maxLineQuantity)

export const CreateCartBody = z
  .strictObject({
    customerId: z.string().min(1).max(64).optional(),
    anonymousId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("The visitor's anonymous id (Segment's `anonymousId`) until they identify"),
    currency: CurrencyCode.optional().describe(
      'Default: the currency of the first SKU added (which must then have exactly one price)',
    ),
  })
  .superRefine((body, ctx) => {
    if ((body.customerId === undefined) === (body.anonymousId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'give exactly one of customerId or anonymousId' })
    }
  })
  .meta({ id: 'CreateCart' })
export type CreateCartBody = z.infer<typeof CreateCartBody>

export const AddLineBody = z.strictObject({ sku: Sku, quantity: Quantity }).meta({ id: 'AddCartLine' })
export type AddLineBody = z.infer<typeof AddLineBody>

export const SetLineBody = z
  .strictObject({ quantity: z.number().int().min(0).max(maxLineQuantity).describe('0 removes the line') })
  .meta({ id: 'SetCartLine' })
export type SetLineBody = z.infer<typeof SetLineBody>

export const FulfillmentMethod = z.enum(['ship', 'courier', 'pickup', 'curbside'])

export const FulfillmentBody = z
  .strictObject({
    method: FulfillmentMethod,
    location: z.string().min(1).max(40).optional().describe('The store, for pickup and curbside'),
  })
  .superRefine((body, ctx) => {
    const atStore = body.method === 'pickup' || body.method === 'curbside'
    if (atStore && !body.location) {
      ctx.addIssue({ code: 'custom', path: ['location'], message: `${body.method} needs a store's location code` })
    }
    if (!atStore && body.location) {
      ctx.addIssue({ code: 'custom', path: ['location'], message: `${body.method} takes no location` })
    }
  })
  .meta({ id: 'CartFulfillment' })
export type FulfillmentBody = z.infer<typeof FulfillmentBody>

export const IdentifyBody = z
  .strictObject({
    identities: z.array(IdentityInput).min(1).max(20),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .meta({ id: 'IdentifyCart' })
export type IdentifyBody = z.infer<typeof IdentifyBody>

export const CouponBody = z
  .strictObject({
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{3,40}$/, 'must be 3–40 letters, digits, - or _')
      .describe('A coupon code, in any case'),
  })
  .meta({ id: 'CartCoupon' })
export type CouponBody = z.infer<typeof CouponBody>

export const CartParams = z.object({ id: z.string().min(1).max(64) })
export const LineParams = z.object({ id: z.string().min(1).max(64), sku: Sku })
export const CustomerCartParams = z.object({ id: z.string().min(1).max(64) })

export const CartLineView = z
  .object({
    sku: z.string(),
    quantity: z.number().int(),
    unitPrice: Money.nullable().describe('As the calling channel pays; null when the SKU lost its price'),
    lineTotal: Money.nullable(),
    available: z
      .number()
      .int()
      .describe(
        'Units available for the chosen fulfilment: at the pickup store, else over the locations a shipment ordered by the caller may leave from',
      ),
    isAvailable: z.boolean().describe('Whether `available` covers `quantity`'),
    discount: Money.nullable().describe("This line's share of the promotions applied"),
  })
  .meta({ id: 'CartLine' })
export type CartLineView = z.infer<typeof CartLineView>

export const CartView = z
  .object({
    id: z.string(),
    status: z.enum(['active', 'abandoned', 'merged', 'ordered']),
    customerId: z.string().nullable(),
    anonymousId: z.string().nullable(),
    channel: z.string().nullable().describe('The touchpoint that started the cart'),
    currency: CurrencyCode.nullable(),
    mergedInto: z.string().nullable(),
    orderId: z.string().nullable().describe('The order placed from the cart, once ordered'),
    fulfillment: z.object({ method: FulfillmentMethod, location: z.string().nullable() }),
    lines: z.array(CartLineView),
    coupon: z
      .object({
        code: z.string(),
        applied: z.boolean(),
        reason: z
          .string()
          .nullable()
          .describe('Why it does not apply to the cart as it stands (min-spend-not-met, customer-required, …)'),
      })
      .nullable(),
    promotions: z
      .array(z.object({ promotionId: z.string(), name: z.string(), code: z.string().nullable(), amount: Money }))
      .describe('The automatic promotions and the coupon applied, with what each takes off'),
    subtotal: Money.nullable(),
    discount: Money.nullable().describe('Everything the promotions take off, as an order placed now would'),
    total: Money.nullable().describe('Before shipping, which the order adds for its delivery method'),
    lastActivityAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Cart' })
export type CartView = z.infer<typeof CartView>
