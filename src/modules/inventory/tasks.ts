import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'

/** Inventory's timed work (reservation expiry). */
export function inventoryTasks(_deps: { db: Kysely<any>; clock: Clock; logger: Logger }): PeriodicTask[] {
  return []
}
