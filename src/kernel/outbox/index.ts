export { appendEvents, type NewEvent, type OutboxEvent } from './append.js'
export { OutboxDispatcher, type Subscriber } from './dispatcher.js'
export type { OutboxTables } from './db.js'
