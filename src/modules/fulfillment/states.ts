import { illegalTransition } from '../../kernel/errors.js'

/**
 * The fulfilment state machine. A shipment is picked, packed and handed to a carrier; an order
 * collected at a store waits in `ready_for_pickup` until the customer comes (`picked_up`) or the
 * hold runs out (`expired`). Anything not yet handed over may be cancelled.
 */
export const transitions = {
  allocated: ['picking', 'ready_for_pickup', 'cancelled'],
  picking: ['packed', 'cancelled'],
  packed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  ready_for_pickup: ['picked_up', 'expired', 'cancelled'],
  delivered: [],
  picked_up: [],
  expired: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>

export type FulfillmentState = keyof typeof transitions
export const fulfillmentStates = Object.keys(transitions) as [
  FulfillmentState,
  ...FulfillmentState[],
]

export const fulfillmentMethods = ['ship', 'courier', 'pickup', 'curbside'] as const
export type FulfillmentMethod = (typeof fulfillmentMethods)[number]

/** The customer comes to the location for it: its units cannot move elsewhere. */
export function collecting(method: FulfillmentMethod): boolean {
  return method === 'pickup' || method === 'curbside'
}

/** States in which the goods have left the location; the ones after them are final. */
export const handedOver: readonly FulfillmentState[] = ['shipped', 'delivered', 'picked_up']

/** States in which nothing will leave the location any more. */
export const closed: readonly FulfillmentState[] = ['cancelled', 'expired']

// A parcel is never put on the collection shelf, and a collection is never packed for a carrier.
const notFor: Record<FulfillmentMethod, FulfillmentState> = {
  ship: 'ready_for_pickup',
  courier: 'ready_for_pickup',
  pickup: 'picking',
  curbside: 'picking',
}

/** The targets a fulfilment of `method` may move to from `from`. */
export function allowedTargets(method: FulfillmentMethod, from: FulfillmentState) {
  return (transitions[from] as readonly FulfillmentState[]).filter((to) => to !== notFor[method])
}

/** The states from which `to` may be reached, for guarded UPDATEs (`where status in (…)`). */
export function statesLeadingTo(method: FulfillmentMethod, to: FulfillmentState) {
  return fulfillmentStates.filter((from) => allowedTargets(method, from).includes(to))
}

export function assertTransition(
  method: FulfillmentMethod,
  from: FulfillmentState,
  to: FulfillmentState,
): void {
  const allowed = allowedTargets(method, from)
  if (!allowed.includes(to)) throw illegalTransition('fulfillment', from, to, allowed)
}
