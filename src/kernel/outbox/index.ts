export { appendEvents, outboxInsert, type NewEvent, type OutboxEvent } from './append.js'
export { OutboxDispatcher, lagCountCap, type ConsumerLag, type Subscriber } from './dispatcher.js'
export { outboxRoutes } from './routes.js'
export type { OutboxTables } from './db.js'
