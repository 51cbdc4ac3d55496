import { illegalTransition } from '../../kernel/errors.js'

/**
 * The order state machine. A card order waits in `pending_payment` while the provider is asked
 * (outside any transaction) and then becomes `confirmed` or `payment_failed`; cash on delivery,
 * pay in store and store credit orders are `confirmed` at once (their payment may still be
 * pending: it is captured when the courier or clerk takes the money). `shipped` and `delivered`
 * follow the order's fulfilments (see `following.ts`); cancellation is allowed until shipment.
 */
export const transitions = {
  // Not cancellable while the provider is asked: the authorisation would land on a cancelled order.
  pending_payment: ['confirmed', 'payment_failed'],
  // A collection is handed over at the counter: delivered with no shipment in between.
  confirmed: ['shipped', 'delivered', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  payment_failed: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>

export type OrderStatus = keyof typeof transitions
export const orderStatuses = Object.keys(transitions) as [OrderStatus, ...OrderStatus[]]

/** The states from which `to` may be reached, for guarded UPDATEs (`where status in (…)`). */
export function statesLeadingTo(to: OrderStatus): OrderStatus[] {
  return orderStatuses.filter((from) => (transitions[from] as readonly string[]).includes(to))
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  const allowed: readonly OrderStatus[] = transitions[from]
  if (!allowed.includes(to)) throw illegalTransition('order', from, to, allowed)
}
