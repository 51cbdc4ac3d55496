import { z } from 'zod'
import { PageQuery } from '../../kernel/http/index.js'
import { FulfillmentView } from '../fulfillment/index.js'
import { CurrencyCode, Money } from '../../kernel/money.js'
import { orderStatuses } from './states.js'

const Sku = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 letters, digits, ., _ or -, starting with a letter or digit',
  )
const Id = z.string().min(1).max(64)

export const OrderCard = z.strictObject({
  number: z.string().regex(/^\d{12,19}$/, 'must be 12–19 digits'),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z
    .string()
    .regex(/^\d{3,4}$/, 'must be 3 or 4 digits')
    .optional(),
})

export const OrderPayment = z
  .strictObject({
    method: z.enum(['card', 'cash_on_delivery', 'in_store', 'store_credit']),
    card: OrderCard.optional().describe('Sent to the payment provider, never stored'),
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be 4–64 letters, digits, - or _')
      .optional()
      .describe('The gift card or store credit account, for store_credit'),
  })
  .superRefine((p, ctx) => {
    if (p.method === 'card' && !p.card)
      ctx.addIssue({ code: 'custom', path: ['card'], message: 'a card payment needs the card' })
    if (p.method !== 'card' && p.card)
      ctx.addIssue({ code: 'custom', path: ['card'], message: `not used by ${p.method}` })
    if (p.method === 'store_credit' && !p.code)
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: 'store credit needs the account code',
      })
    if (p.method !== 'store_credit' && p.code)
      ctx.addIssue({ code: 'custom', path: ['code'], message: `not used by ${p.method}` })
  })
export type OrderPayment = z.infer<typeof OrderPayment>

export const OrderCustomer = z
  .strictObject({
    id: Id.optional(),
    email: z.string().min(3).max(320).optional(),
    phone: z.string().min(3).max(40).optional(),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine((c, ctx) => {
    const contact = c.email !== undefined || c.phone !== undefined
    if (c.id === undefined && !contact)
      ctx.addIssue({ code: 'custom', path: ['id'], message: 'give the id, an email or a phone' })
    if (c.id !== undefined && contact)
      ctx.addIssue({ code: 'custom', path: ['id'], message: 'give the id or contacts, not both' })
  })

export const Geo = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
})

export const Address = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  line1: z.string().min(1).max(200),
  line2: z.string().min(1).max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
  geo: Geo.optional().describe(
    'The destination coordinates: the nearest location ships, and courier delivery needs them',
  ),
})

export type Address = z.infer<typeof Address>

export const fulfillmentMethods = ['ship', 'courier', 'pickup', 'curbside'] as const
const FulfillmentMethod = z.enum(fulfillmentMethods)
const collecting = (method: string | undefined) => method === 'pickup' || method === 'curbside'

export const OrderFulfillment = z
  .strictObject({
    method: FulfillmentMethod.optional().describe(
      'Required without cartId (an order from a cart is fulfilled as the cart says)',
    ),
    location: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe('The pick-up store, for pickup and curbside'),
    address: Address.optional().describe('Where to ship, for ship and courier'),
    vehicle: z
      .string()
      .trim()
      .min(1)
      .max(120)
      .optional()
      .describe("Curbside: the customer's car, so the clerk finds it"),
  })
  .superRefine((f, ctx) => {
    if (collecting(f.method) && !f.location)
      ctx.addIssue({
        code: 'custom',
        path: ['location'],
        message: `${f.method} needs a store's code`,
      })
    if (f.method && !collecting(f.method) && f.location)
      ctx.addIssue({ code: 'custom', path: ['location'], message: `${f.method} takes no location` })
    if (collecting(f.method) && f.address)
      ctx.addIssue({ code: 'custom', path: ['address'], message: `${f.method} takes no address` })
    if (f.method && f.method !== 'curbside' && f.vehicle)
      ctx.addIssue({ code: 'custom', path: ['vehicle'], message: 'is only for curbside' })
  })

export const OrderLineInput = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(9_999),
})

const CouponCode = z.string().regex(/^[A-Za-z0-9_-]{3,40}$/, 'must be 3–40 letters, digits, - or _')

export const PlaceOrderBody = z
  .strictObject({
    cartId: Id.optional().describe(
      'Order the cart as it stands; or give customer, lines and fulfillment',
    ),
    customer: OrderCustomer.optional(),
    lines: z.array(OrderLineInput).min(1).max(100).optional(),
    fulfillment: OrderFulfillment.optional(),
    currency: CurrencyCode.optional().describe(
      'Default: the currency of the first line (whose SKU must then have exactly one price)',
    ),
    payment: OrderPayment,
    coupon: CouponCode.optional(),
  })
  .superRefine((b, ctx) => {
    const direct = ['customer', 'lines', 'fulfillment'] as const
    if (b.cartId !== undefined) {
      for (const field of ['customer', 'lines', 'currency'] as const)
        if (b[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'not used with cartId' })
      for (const field of ['method', 'location'] as const)
        if (b.fulfillment?.[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['fulfillment', field],
            message: 'comes from the cart; give only address or vehicle',
          })
      return
    }
    for (const field of direct)
      if (b[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'required without cartId' })
    if (b.fulfillment && b.fulfillment.method === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['fulfillment', 'method'],
        message: 'required without cartId',
      })
    const seen = new Map<string, number>()
    b.lines?.forEach((l, i) => {
      if (seen.has(l.sku))
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'sku'],
          message: `repeats line ${seen.get(l.sku)}`,
        })
      seen.set(l.sku, i)
    })
  })
  .meta({ id: 'PlaceOrder' })
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>

export const CancelOrderBody = z
  .strictObject({ reason: z.string().min(1).max(500).optional() })
  .optional()

export const OrderParams = z.object({ id: Id })

export const TrackQuery = z.object({
  number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  contact: z.string().min(3).max(320).describe('The email or phone the order was placed with'),
})

export const OrderListQuery = PageQuery.extend({
  channel: z.string().min(1).max(40).optional(),
  status: z.enum(orderStatuses).optional(),
})
export type OrderListQuery = z.infer<typeof OrderListQuery>

export const SourcingView = z
  .object({
    rule: z.enum(['pickup_store', 'own_store', 'nearest_whole', 'fewest_shipments']),
    reason: z.string(),
    shipments: z.array(
      z.object({
        location: z.string(),
        distanceKm: z.number().nullable().describe('From the destination; null when it is unknown'),
        lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
      }),
    ),
  })
  .meta({ id: 'Sourcing' })
export type SourcingView = z.infer<typeof SourcingView>

export const OrderView = z
  .object({
    id: z.string(),
    number: z.number().int(),
    status: z.enum(orderStatuses),
    channel: z.string().nullable(),
    touchpoint: z.string().describe('The API key that placed the order'),
    store: z.string().nullable(),
    staff: z.string().nullable().describe('The staff key, for orders staff placed'),
    customerId: z.string(),
    lines: z.array(
      z.object({
        sku: z.string(),
        quantity: z.number().int(),
        unitPrice: Money,
        discount: Money,
        location: z.string(),
      }),
    ),
    totals: z.object({
      subtotal: z.number().int(),
      discount: z.number().int(),
      shipping: z.number().int(),
      total: z.number().int(),
      currency: CurrencyCode,
    }),
    fulfillment: z.object({
      method: FulfillmentMethod,
      location: z.string().nullable(),
      address: Address.nullable(),
      vehicle: z.string().nullable(),
    }),
    sourcing: SourcingView.nullable().describe('Where the goods come from, and why'),
    payment: z.object({
      id: z.string(),
      method: z.enum(['card', 'cash_on_delivery', 'in_store', 'store_credit']),
    }),
    fulfillments: z.array(FulfillmentView).describe('One per location the lines come from'),
    coupon: z.string().nullable(),
    cartId: z.string().nullable(),
    timeline: z.array(
      z.object({
        status: z.enum(orderStatuses),
        kind: z.string(),
        at: z.string(),
        detail: z.unknown(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Order' })
export type OrderView = z.infer<typeof OrderView>

export const SourcingPolicyBody = z
  .strictObject({
    rules: z
      .array(z.enum(['nearest_whole', 'fewest_shipments']))
      .min(1)
      .max(2)
      .describe('Shipping rules tried in turn (pick-up orders always come from their store)'),
    allowSplit: z.boolean().describe('Whether an order may leave in several parcels'),
    maxShipments: z.number().int().min(1).max(10),
    courierRadiusKm: z
      .number()
      .gt(0)
      .max(1000)
      .describe('Courier orders come only from this close'),
    endlessAisleOwnStock: z
      .enum(['prefer', 'exclude'])
      .describe(
        "A ship or courier order placed at a store: that store's own stock first, or never",
      ),
  })
  .superRefine((p, ctx) => {
    p.rules.forEach((r, i) => {
      if (p.rules.indexOf(r) !== i)
        ctx.addIssue({ code: 'custom', path: ['rules', i], message: `repeats ${r}` })
    })
  })
  .meta({ id: 'SourcingPolicy' })
export type SourcingPolicyBody = z.infer<typeof SourcingPolicyBody>

const MinorAmount = z.number().int().min(0).max(100_000_000)

export const ShippingRate = z.strictObject({
  method: z.enum(['ship', 'courier']).describe('Pick-up and curbside are always free'),
  currency: CurrencyCode,
  amount: MinorAmount.describe('Flat amount in minor units'),
  freeFrom: MinorAmount.nullable()
    .optional()
    .describe('Free when the order (after discounts) reaches this amount'),
})

export const ShippingRatesBody = z
  .strictObject({ rates: z.array(ShippingRate).max(200) })
  .superRefine((b, ctx) => {
    const seen = new Map<string, number>()
    b.rates.forEach((r, i) => {
      const key = `${r.method} ${r.currency}`
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['rates', i, 'currency'],
          message: `repeats rate ${seen.get(key)}`,
        })
      seen.set(key, i)
    })
  })
  .meta({ id: 'ShippingRates' })
export type ShippingRatesBody = z.infer<typeof ShippingRatesBody>

export const ShippingRatesView = z.object({
  rates: z.array(
    z.object({
      method: z.enum(['ship', 'courier']),
      currency: CurrencyCode,
      amount: z.number().int(),
      freeFrom: z.number().int().nullable(),
    }),
  ),
})
export type ShippingRatesView = z.infer<typeof ShippingRatesView>

export const MissingBody = z
  .strictObject({
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(9_999) }))
      .min(1)
      .max(100),
    note: z.string().trim().min(1).max(500).optional(),
  })
  .superRefine((b, ctx) => {
    const seen = new Map<string, number>()
    b.lines.forEach((l, i) => {
      if (seen.has(l.sku))
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'sku'],
          message: `repeats line ${seen.get(l.sku)}`,
        })
      seen.set(l.sku, i)
    })
  })
  .meta({ id: 'MissingItems' })
export type MissingBody = z.infer<typeof MissingBody>
