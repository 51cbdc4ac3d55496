export { returnRoutes } from './routes.js'
export { returnMigrations } from './migrations/index.js'
export { createReturn, admitReturn, type ReturnOrigin } from './returns.js'
export { createExchange, undoCharges, type Charge } from './exchanges.js'
export { completeCardRefund, settleDueRefunds, refundLeaseMs } from './refunds.js'
export { returnTasks } from './tasks.js'
export { getReturnPolicy, setReturnPolicy, defaultPolicy } from './policy.js'
export { getReturn, listReturns } from './queries.js'
export { returnEvents } from './events.js'
export type { ReturnsTables } from './db.js'
export {
  CreateReturnBody,
  CreateExchangeBody,
  ReturnView,
  ExchangeView,
  ReturnPolicyView,
  type ReturnPolicyBody,
} from './schema.js'
