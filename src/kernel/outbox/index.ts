export { appendEvents, outboxInsert, type NewEvent, type OutboxEvent } from './append.js'
export { OutboxDispatcher, type Subscriber } from './dispatcher.js'
export type { OutboxTables } from './db.js'
