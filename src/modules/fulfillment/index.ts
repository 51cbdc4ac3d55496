export { fulfillmentRoutes } from './routes.js'
export { fulfillmentMigrations } from './migrations/index.js'
export { fulfillmentTasks, expirePickups, expireDuePickups } from './expiry.js'
export {
  createFulfillments,
  getFulfillment,
  fulfillmentsOfOrders,
  listFulfillments,
  type NewFulfillments,
} from './fulfillments.js'
export { moveFulfillment, cancelOrderFulfillments } from './transitions.js'
export { collecting } from './states.js'
export {
  lockForResourcing,
  relocateLines,
  awaitTransfers,
  type LockedForResourcing,
} from './resourcing.js'
export { settleFulfillmentPayment, settleDuePayments } from './settle.js'
export type { OrderFollower, FulfillmentChange } from './port.js'
export {
  transitions as fulfillmentTransitions,
  fulfillmentStates,
  fulfillmentMethods,
  type FulfillmentState,
  type FulfillmentMethod,
} from './states.js'
export type { FulfillmentTables } from './db.js'
export { FulfillmentView, TransitionBody } from './schema.js'
