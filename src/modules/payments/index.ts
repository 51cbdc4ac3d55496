export { paymentRoutes } from './routes.js'
export { paymentMigrations } from './migrations/index.js'
export {
  authorizePayment,
  capturePayment,
  refundPayment,
  voidPayment,
  recordPayment,
  type AuthorizeInput,
  type PaymentOrigin,
} from './payments.js'
export { getPayment, paymentEvents } from './records.js'
export { abandonPendingPayment } from './abandon.js'
export {
  declineOf,
  runStaged,
  authorizeOperation,
  captureOperation,
  type Operation,
} from './operations.js'
export { refundOperation, voidOperation } from './reversals.js'
export {
  issueStoredValue,
  creditStoredValue,
  spendStoredValue,
  findStoredValue,
  ledgerSum,
} from './stored-value.js'
export {
  ProviderUnavailable,
  type PaymentProvider,
  type AuthorizeRequest,
  type CardDetails,
  type ProviderOutcome,
  type WebhookEvent,
  type WebhookVerdict,
} from './port.js'
export type { PaymentsTables } from './db.js'
export type { PaymentView, StoredValueView, AuthorizeBody } from './schema.js'
export {
  paymentMethods,
  transitions as paymentTransitions,
  type PaymentMethod,
  type PaymentStatus,
} from './states.js'
