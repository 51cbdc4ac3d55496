import { z } from 'zod'
import { Money } from '../../kernel/money.js'
import { paymentMethods, paymentStatuses } from './states.js'

const Reference = z.string().min(1).max(100)
const StoredValueCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be 4–64 letters, digits, - or _')

export const CardInput = z.strictObject({
  number: z.string().regex(/^\d{12,19}$/, 'must be 12–19 digits'),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z
    .string()
    .regex(/^\d{3,4}$/, 'must be 3 or 4 digits')
    .optional(),
})
export type CardInput = z.infer<typeof CardInput>

const PositiveMoney = Money.refine((m) => m.amount > 0, {
  message: 'must be more than zero',
  path: ['amount'],
})

export const AuthorizeBody = z
  .strictObject({
    reference: Reference.describe('What is paid for, such as an order id'),
    method: z.enum(paymentMethods),
    amount: PositiveMoney,
    card: CardInput.optional().describe(
      'Card details; the number is sent to the provider and never stored',
    ),
    token: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("A provider's payment method token, such as pm_card_visa"),
    storedValueCode: StoredValueCode.optional().describe('The gift card or store credit to spend'),
    customerId: z.string().min(1).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    const has = {
      card: body.card !== undefined,
      token: body.token !== undefined,
      storedValueCode: body.storedValueCode !== undefined,
    }
    const needs =
      body.method === 'card'
        ? ['card', 'token']
        : body.method === 'store_credit'
          ? ['storedValueCode']
          : []
    if (body.method === 'card' && has.card === has.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['card'],
        message: 'a card payment needs exactly one of card or token',
      })
    }
    if (body.method === 'store_credit' && !has.storedValueCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['storedValueCode'],
        message: 'a store credit payment needs the account code',
      })
    }
    for (const field of ['card', 'token', 'storedValueCode'] as const) {
      if (has[field] && !needs.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `not used by a ${body.method} payment`,
        })
      }
    }
  })
  .meta({ id: 'AuthorizePayment' })
export type AuthorizeBody = z.infer<typeof AuthorizeBody>

export const RefundBody = z
  .strictObject({
    amount: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('Minor units; the whole remainder when left out'),
    storeCredit: StoredValueCode.optional().describe(
      'Refund to this gift card or store credit account instead of the original method',
    ),
  })
  .meta({ id: 'RefundPayment' })
export type RefundBody = z.infer<typeof RefundBody>

export const EmptyBody = z.strictObject({}).optional()

export const PaymentParams = z.object({ id: z.string().min(1).max(60) })

export const PaymentView = z
  .object({
    id: z.string(),
    reference: z.string(),
    method: z.enum(paymentMethods),
    amount: Money,
    refunded: Money,
    status: z.enum(paymentStatuses),
    provider: z.string().nullable(),
    providerPaymentId: z.string().nullable(),
    cardLast4: z.string().nullable(),
    storedValueCode: z.string().nullable(),
    failure: z.object({ code: z.string(), declineCode: z.string().nullable() }).nullable(),
    customerId: z.string().nullable(),
    channel: z.string().nullable(),
    history: z.array(
      z.object({
        kind: z.string(),
        status: z.enum(paymentStatuses),
        amount: z.number().int(),
        at: z.string(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Payment' })
export type PaymentView = z.infer<typeof PaymentView>

export const IssueStoredValueBody = z
  .strictObject({
    code: StoredValueCode.optional().describe('Printed on the card; generated when left out'),
    kind: z.enum(['gift_card', 'store_credit']),
    amount: Money,
    customerId: z.string().min(1).max(100).optional(),
  })
  .meta({ id: 'IssueStoredValue' })
export type IssueStoredValueBody = z.infer<typeof IssueStoredValueBody>

export const TopUpBody = z
  .strictObject({ amount: PositiveMoney, reference: Reference.optional() })
  .meta({ id: 'TopUpStoredValue' })
export type TopUpBody = z.infer<typeof TopUpBody>

export const StoredValueParams = z.object({ code: z.string().min(1).max(64) })

export const StoredValueView = z
  .object({
    code: z.string(),
    kind: z.enum(['gift_card', 'store_credit']),
    balance: Money,
    customerId: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'StoredValueAccount' })
export type StoredValueView = z.infer<typeof StoredValueView>
