import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { testPaymentProvider } from './adapters/payment-test/index.js'
import { loadConfig } from './config.js'
import type { Clock } from './kernel/clock.js'
import type { Migrations } from './kernel/db/index.js'
import type { ModuleRoutes } from './kernel/http/index.js'
import type { PeriodicTask } from './kernel/jobs/periodic.js'
import { kernelMigrations } from './kernel/migrations.js'
import type { OutboxDispatcher } from './kernel/outbox/index.js'
import { accessRoutes } from './modules/access/index.js'
import { cartMergeSubscriber, cartMigrations, cartRoutes, cartTasks } from './modules/carts/index.js'
import { catalogMigrations, catalogRoutes } from './modules/catalog/index.js'
import { channelMigrations, channelRoutes } from './modules/channels/index.js'
import { customerMigrations, customerRoutes } from './modules/customers/index.js'
import {
  fulfillmentMigrations,
  fulfillmentRoutes,
  fulfillmentTasks,
} from './modules/fulfillment/index.js'
import { eventMigrations, eventRoutes, eventTasks, timelineSubscriber } from './modules/events/index.js'
import { inventoryMigrations, inventoryRoutes, inventoryTasks } from './modules/inventory/index.js'
import { locationMigrations, locationRoutes } from './modules/locations/index.js'
import {
  orderFollower,
  orderMergeSubscriber,
  orderMigrations,
  orderRoutes,
  orderTasks,
  paymentOutcomeSubscriber,
} from './modules/orders/index.js'
import { paymentMigrations, paymentRoutes } from './modules/payments/index.js'
import { pricingMigrations, pricingRoutes } from './modules/pricing/index.js'
import { promotionMergeSubscriber, promotionMigrations, promotionRoutes } from './modules/promotions/index.js'
import { returnMigrations, returnRoutes, returnTasks } from './modules/returns/index.js'
import { segmentMigrations, segmentProfileExtras, segmentRoutes, segmentTasks, segmentsSubscriber } from './modules/segments/index.js'

/** Every migration, kernel first; names sort by their timestamp prefix across modules. */
export const migrations: Migrations = {
  ...kernelMigrations,
  ...locationMigrations,
  ...channelMigrations,
  ...catalogMigrations,
  ...pricingMigrations,
  ...inventoryMigrations,
  ...customerMigrations,
  ...paymentMigrations,
  ...promotionMigrations,
  ...eventMigrations,
  ...cartMigrations,
  ...orderMigrations,
  ...fulfillmentMigrations,
  ...returnMigrations,
  ...segmentMigrations,
}

const paymentProvider = testPaymentProvider({
  baseUrl: () => loadConfig().paymentProviderUrl,
  webhookSecret: () => loadConfig().paymentWebhookSecret,
})

/** Every module's HTTP surface, registered in this order. */
export const moduleRoutes: readonly ModuleRoutes[] = [
  accessRoutes,
  locationRoutes,
  channelRoutes,
  catalogRoutes,
  pricingRoutes,
  inventoryRoutes,
  customerRoutes(segmentProfileExtras),
  promotionRoutes,
  eventRoutes,
  // Settings are read per call: the environment of the running process decides the provider.
  paymentRoutes(paymentProvider),
  cartRoutes,
  orderRoutes(paymentProvider),
  fulfillmentRoutes(paymentProvider, orderFollower),
  returnRoutes(paymentProvider),
  segmentRoutes,
]

export type WorkerDeps = { db: Kysely<any>; clock: Clock; logger: Logger }

/** Work that runs on a timer in every server process (each task is safe to run concurrently). */
export function periodicTasks(deps: WorkerDeps): PeriodicTask[] {
  return [
    ...inventoryTasks(deps),
    ...eventTasks(deps),
    ...cartTasks(deps, () => loadConfig().cartAbandonMinutes),
    ...fulfillmentTasks(deps, paymentProvider, orderFollower, () => loadConfig().pickupHoldHours),
    ...orderTasks(deps, () => loadConfig().paymentTimeoutMinutes),
    ...returnTasks(deps, paymentProvider),
    ...segmentTasks(deps),
  ]
}

/** In-process reactions to other modules' facts. */
export function subscribe(dispatcher: OutboxDispatcher, deps: WorkerDeps): void {
  dispatcher.subscribe(timelineSubscriber(deps.clock))
  dispatcher.subscribe(segmentsSubscriber(deps.clock))
  dispatcher.subscribe(cartMergeSubscriber(deps.clock))
  dispatcher.subscribe(orderMergeSubscriber())
  dispatcher.subscribe(paymentOutcomeSubscriber(deps.clock))
  dispatcher.subscribe(promotionMergeSubscriber())
}
