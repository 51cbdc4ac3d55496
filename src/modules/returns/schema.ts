import { z } from 'zod'
import { channelKinds } from '../../kernel/auth/index.js'
import { PageQuery } from '../../kernel/http/index.js'
import { Money } from '../../kernel/money.js'
import { Sku } from '../catalog/index.js'
import { OrderPayment, OrderView } from '../orders/index.js'

const Id = z.string().min(1).max(64)
const LocationCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1–40 lowercase letters, digits, - or _')
const CategoryCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 lowercase letters, digits, - or _')

export const returnConditions = ['unopened', 'as_new', 'used', 'damaged'] as const
export const ReturnCondition = z.enum(returnConditions)
export const refundMethods = ['card', 'cash', 'stored_value', 'store_credit', 'none'] as const
export const refundStatuses = ['awaiting_goods', 'pending', 'refunding', 'refunded'] as const
const ReturnStatus = z.enum(['awaiting_goods', 'received'])

export const ReturnLineInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(9_999),
  reason: z.string().trim().min(1).max(200).describe('Why it comes back, in the words given'),
  condition: ReturnCondition,
})
export type ReturnLineInput = z.infer<typeof ReturnLineInput>

/** The order and where the goods come back; shared by returns and exchanges. */
const OrderProof = {
  orderId: Id.optional().describe('Staff keys (and channel kinds the policy names) only'),
  orderNumber: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  contact: z
    .string()
    .min(3)
    .max(320)
    .optional()
    .describe('The email or phone the order was placed with, given with orderNumber'),
  location: LocationCode.optional().describe('The store receiving the goods'),
  byPost: z
    .literal(true)
    .optional()
    .describe(
      'Sent back by post instead of brought to a store: announced now, restocked and refunded ' +
        'when received (POST /v1/returns/{id}/receive)',
    ),
}

type Proof = {
  orderId?: string | undefined
  orderNumber?: number | undefined
  contact?: string | undefined
  location?: string | undefined
  byPost?: true | undefined
}

function checkProof(b: Proof, ctx: z.RefinementCtx) {
  const issue = (field: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [field], message })
  const byNumber = b.orderNumber !== undefined || b.contact !== undefined
  if (b.orderId !== undefined && byNumber)
    issue('orderId', 'give orderId or orderNumber and contact, not both')
  if (b.orderId === undefined && b.orderNumber === undefined)
    issue('orderId', 'give orderId, or orderNumber and contact')
  if (b.orderNumber !== undefined && b.contact === undefined)
    issue('contact', 'orderNumber needs the contact')
  if (b.contact !== undefined && b.orderNumber === undefined && b.orderId === undefined)
    issue('orderNumber', 'contact needs the orderNumber')
  if ((b.location === undefined) === (b.byPost === undefined))
    issue('location', 'give a location or byPost, one of them')
}

function uniqueSkus(lines: readonly { sku: string }[], field: string, ctx: z.RefinementCtx) {
  const seen = new Map<string, number>()
  lines.forEach((l, i) => {
    const first = seen.get(l.sku)
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: [field, i, 'sku'], message: `repeats line ${first}` })
    else seen.set(l.sku, i)
  })
}

export const CreateReturnBody = z
  .strictObject({
    ...OrderProof,
    lines: z.array(ReturnLineInput).min(1).max(100),
    refund: z
      .enum(['original', 'store_credit'])
      .default('original')
      .describe('original: to the payment (store credit when it cannot be refunded)'),
  })
  .superRefine((b, ctx) => {
    checkProof(b, ctx)
    uniqueSkus(b.lines, 'lines', ctx)
  })
  .meta({ id: 'CreateReturn' })
export type CreateReturnBody = z.infer<typeof CreateReturnBody>

const Address = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  line1: z.string().min(1).max(200),
  line2: z.string().min(1).max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
})

// The order's payment rules, less cash on delivery: an exchange settles the difference now.
export const ExchangePayment = OrderPayment.refine((p) => p.method !== 'cash_on_delivery', {
  path: ['method'],
  message: 'an exchange is paid now: card, in_store or store_credit',
})
export type ExchangePayment = z.infer<typeof ExchangePayment>

export const CreateExchangeBody = z
  .strictObject({
    ...OrderProof,
    returnLines: z.array(ReturnLineInput).min(1).max(100),
    newLines: z
      .array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(9_999) }))
      .min(1)
      .max(100),
    address: Address.optional().describe(
      "Where a by-post exchange's replacement is shipped; default: the order's address",
    ),
    payment: ExchangePayment.optional().describe(
      'Pays what the replacement costs beyond the returned value',
    ),
  })
  .superRefine((b, ctx) => {
    checkProof(b, ctx)
    uniqueSkus(b.returnLines, 'returnLines', ctx)
    uniqueSkus(b.newLines, 'newLines', ctx)
    if (b.location !== undefined && b.address !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'an in-store exchange is collected there',
      })
  })
  .meta({ id: 'CreateExchange' })
export type CreateExchangeBody = z.infer<typeof CreateExchangeBody>

export const ReturnParams = z.object({ id: Id })

export const ReceiveReturnBody = z
  .strictObject({
    location: LocationCode.optional().describe(
      'Where the parcel arrived; else the policy\'s post location, else where each line shipped from',
    ),
    lines: z
      .array(z.strictObject({ sku: Sku, condition: ReturnCondition }))
      .max(100)
      .optional()
      .describe('Conditions found on unpacking, where they differ from those declared'),
  })
  .superRefine((b, ctx) => uniqueSkus(b.lines ?? [], 'lines', ctx))
  .meta({ id: 'ReceiveReturn' })
export type ReceiveReturnBody = z.infer<typeof ReceiveReturnBody>

export const ReturnListQuery = PageQuery.extend({
  location: LocationCode.optional(),
  customerId: Id.optional(),
  status: ReturnStatus.optional().describe('awaiting_goods: the parcels still on their way'),
})
export type ReturnListQuery = z.infer<typeof ReturnListQuery>

export const ReturnView = z
  .object({
    id: z.string(),
    number: z.number().int(),
    orderId: z.string(),
    orderNumber: z.number().int(),
    customerId: z.string(),
    channel: z.string().nullable(),
    touchpoint: z.string().describe('The API key that took the return'),
    store: z.string().nullable(),
    staff: z.string().nullable(),
    location: z.string().nullable().describe('Where the goods were received'),
    byPost: z.boolean(),
    status: ReturnStatus.describe(
      'awaiting_goods: sent by post and not received yet; nothing restocked or refunded',
    ),
    receivedAt: z.string().nullable(),
    lines: z.array(
      z.object({
        sku: z.string(),
        quantity: z.number().int(),
        reason: z.string(),
        condition: ReturnCondition,
        disposition: z.enum(['restocked', 'quarantined']),
        location: z.string().describe('Where the units went: back to stock, or quarantine'),
        value: Money.describe('What these units were paid, discounts deducted'),
      }),
    ),
    value: Money,
    refund: z.object({
      amount: Money,
      method: z.enum(refundMethods),
      status: z
        .enum(refundStatuses)
        .describe(
          'refunded: done. pending: a card refund the provider could not take yet, retried ' +
            'automatically. refunding: a card refund with the provider right now. ' +
            'awaiting_goods: refunded once the parcel is received',
        ),
      paymentId: z.string().nullable().describe('The original payment refunded'),
      storeCreditCode: z.string().nullable().describe('The store credit account issued'),
      refundedAt: z.string().nullable(),
    }),
    exchange: z
      .object({
        orderId: z.string().describe('The replacement order'),
        applied: Money.describe('Returned value spent on the replacement'),
        storeCreditCode: z.string().describe('The account that carried the value to the order'),
        extraPaymentId: z.string().nullable().describe('The payment for the difference, if any'),
      })
      .nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Return' })
export type ReturnView = z.infer<typeof ReturnView>

export const ExchangeView = z
  .object({ return: ReturnView, order: OrderView })
  .meta({ id: 'Exchange' })
export type ExchangeView = z.infer<typeof ExchangeView>

export const ReturnPolicyBody = z
  .strictObject({
    windowDays: z.number().int().min(0).max(3_650),
    acceptedConditions: z.array(ReturnCondition).max(4),
    quarantineConditions: z
      .array(ReturnCondition)
      .max(4)
      .describe('Accepted, but received into the quarantine location, never sold'),
    idProofChannelKinds: z
      .array(z.enum(channelKinds))
      .max(channelKinds.length)
      .describe('Touchpoints that may name the order by id alone; staff keys always may'),
    nonReturnableCategories: z.array(CategoryCode).max(200),
    quarantineLocation: LocationCode.nullable(),
    postLocation: LocationCode.nullable().describe(
      "Receives by-post returns; null: each line's own shipping location",
    ),
  })
  .superRefine((p, ctx) => {
    const quarantined = p.quarantineConditions.filter((c) => p.acceptedConditions.includes(c))
    if (quarantined.length > 0 && p.quarantineLocation === null)
      ctx.addIssue({
        code: 'custom',
        path: ['quarantineLocation'],
        message: `${quarantined.join(', ')} goods need a quarantine location`,
      })
  })
  .meta({ id: 'SetReturnPolicy' })
export type ReturnPolicyBody = z.infer<typeof ReturnPolicyBody>

export const ReturnPolicyView = z
  .object({
    windowDays: z.number().int(),
    acceptedConditions: z.array(ReturnCondition),
    quarantineConditions: z.array(ReturnCondition),
    idProofChannelKinds: z.array(z.enum(channelKinds)),
    nonReturnableCategories: z.array(z.string()),
    quarantineLocation: z.string().nullable(),
    postLocation: z.string().nullable(),
    updatedAt: z.string().nullable().describe('null: the built-in default'),
  })
  .meta({ id: 'ReturnPolicy' })
export type ReturnPolicyView = z.infer<typeof ReturnPolicyView>
