import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { ReturnsTables } from './db.js'
import type { ReturnView } from './schema.js'

/** Published names: permanent. Payloads are version 1. */
export const returnEvents = {
  requested: 'return.requested',
  received: 'return.received',
  refunded: 'return.refunded',
} as const

/**
 * `return.received`: the goods are back (restocked or quarantined), with what they were worth.
 * `return.requested`, with the same payload: a by-post return announced, its parcel on its way
 * (lines say where the units are meant to go).
 */
export function received(tx: Tx<ReturnsTables>, clock: Clock, view: ReturnView) {
  return appendEvents(crossModule(tx), clock, [
    {
      name: view.status === 'received' ? returnEvents.received : returnEvents.requested,
      version: 1,
      payload: {
        returnId: view.id,
        number: view.number,
        orderId: view.orderId,
        orderNumber: view.orderNumber,
        customerId: view.customerId,
        location: view.location,
        byPost: view.byPost,
        store: view.store,
        lines: view.lines.map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          condition: l.condition,
          disposition: l.disposition,
          location: l.location,
        })),
        value: view.value,
        exchangeOrderId: view.exchange?.orderId ?? null,
      },
      channel: view.channel,
      profileId: view.customerId,
    },
  ])
}

/** `return.refunded`: the money went back, and how. */
export function refunded(
  tx: Tx<ReturnsTables>,
  clock: Clock,
  facts: {
    returnId: string
    number: number
    orderId: string
    customerId: string
    channel: string | null
    amount: { amount: number; currency: string }
    method: string
    storeCreditCode: string | null
  },
) {
  const { channel, customerId, ...payload } = facts
  return appendEvents(crossModule(tx), clock, [
    {
      name: returnEvents.refunded,
      version: 1,
      payload: { ...payload, customerId },
      channel,
      profileId: customerId,
    },
  ])
}
