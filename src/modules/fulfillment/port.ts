import type { Clock } from '../../kernel/clock.js'
import type { AnyTx } from '../../kernel/db/index.js'
import type { FulfillmentState } from './states.js'

/** One fulfilment's move, as the order it belongs to needs to hear it. */
export type FulfillmentChange = {
  orderId: string
  fulfillmentId: string
  location: string
  from: FulfillmentState
  to: FulfillmentState
  carrier: string | null
  trackingNumber: string | null
  actor: string
  /** Every fulfilment of the order as it stands after the change, this one included. */
  statuses: readonly FulfillmentState[]
}

/**
 * What fulfilment tells the order it serves, in the transaction that moved the fulfilment. The
 * orders module implements it and `modules.ts` hands it over, so fulfilment never imports
 * orders (orders imports fulfilment to create fulfilments at placement).
 */
export interface OrderFollower {
  follow(tx: AnyTx, clock: Clock, changes: readonly FulfillmentChange[]): Promise<void>
}
