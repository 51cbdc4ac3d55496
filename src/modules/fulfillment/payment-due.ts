import type { PaymentDue } from './db.js'
import type { FulfillmentState } from './states.js'

/**
 * When the money is taken: a card when the goods leave (shipped or collected), cash on delivery
 * when the courier hands them over, pay in store at the counter. When the last of an order's
 * fulfilments is cancelled or expires, nothing will be handed over: the hold is given back.
 * Store credit was taken at placement.
 */
export function paymentDueAt(
  method: string,
  to: FulfillmentState,
  allClosed: boolean,
): PaymentDue | null {
  if (allClosed) return 'void'
  if (method === 'card' && (to === 'shipped' || to === 'picked_up')) return 'capture'
  if (method === 'cash_on_delivery' && to === 'delivered') return 'capture'
  if (method === 'in_store' && to === 'picked_up') return 'capture'
  return null
}
