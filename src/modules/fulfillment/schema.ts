import { z } from 'zod'
import { PageQuery } from '../../kernel/http/index.js'
import { fulfillmentMethods, fulfillmentStates } from './states.js'

const Id = z.string().min(1).max(64)

export const FulfillmentParams = z.object({ id: Id })

const Carrier = z.string().trim().min(1).max(60)
const TrackingNumber = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,79}$/, 'must be 1–80 letters, digits, spaces, . _ / -')

/** One move through the state table; a shipment names its carrier and tracking number. */
export const TransitionBody = z
  .strictObject({
    to: z.enum(fulfillmentStates),
    carrier: Carrier.optional(),
    trackingNumber: TrackingNumber.optional(),
  })
  .superRefine((b, ctx) => {
    for (const field of ['carrier', 'trackingNumber'] as const) {
      if (b.to === 'shipped' && b[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'is required to ship' })
      if (b.to !== 'shipped' && b[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'is only given when shipping' })
    }
  })
  .meta({ id: 'FulfillmentTransition' })
export type TransitionBody = z.infer<typeof TransitionBody>

export const FulfillmentListQuery = PageQuery.extend({
  location: z.string().min(1).max(40),
  status: z.enum(fulfillmentStates).optional(),
})
export type FulfillmentListQuery = z.infer<typeof FulfillmentListQuery>

export const FulfillmentView = z
  .object({
    id: z.string(),
    orderId: z.string(),
    orderNumber: z.number().int(),
    location: z.string(),
    method: z.enum(fulfillmentMethods),
    status: z.enum(fulfillmentStates),
    carrier: z.string().nullable(),
    trackingNumber: z.string().nullable(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    inbound: z
      .array(
        z.object({
          transferId: z.string(),
          from: z.string(),
          sku: z.string(),
          quantity: z.number().int(),
          status: z.enum(['in_transit', 'received']),
        }),
      )
      .describe('Units sent here from elsewhere to make up a collection (missing at this store)'),
    readyAt: z.string().nullable().describe('When it became ready for pick-up'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Fulfillment' })
export type FulfillmentView = z.infer<typeof FulfillmentView>
