export { orderRoutes } from './routes.js'
export { orderMigrations } from './migrations/index.js'
export { placeOrder, type OrderOrigin } from './placement.js'
export {
  authorizeOrder,
  cancelOrder,
  reverseOrderPayment,
  settleOrderPayment,
} from './lifecycle.js'
export { orderFollower } from './following.js'
export { getOrder, listOrders, customerOrders, trackOrder } from './queries.js'
export { transitions as orderTransitions, orderStatuses, type OrderStatus } from './states.js'
export type { OrdersTables } from './db.js'
export { OrderPayment, OrderView, PlaceOrderBody } from './schema.js'
export { orderMergeSubscriber } from './merging.js'
export { paymentOutcomeSubscriber, failUnpaidOrders, orderTasks } from './payment-outcomes.js'
