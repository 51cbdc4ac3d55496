import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { processEvents } from './processing.js'

const batch = 200

/**
 * Processes every event waiting, a batch per transaction so a backlog never holds profile locks
 * for long. Returns how many were processed.
 */
export async function processPendingEvents(db: Kysely<any>, clock: Clock): Promise<number> {
  let total = 0
  for (;;) {
    const done = await inTransaction(db, (tx) => processEvents(tx, clock, batch))
    total += done
    if (done < batch) return total
  }
}

/** The events module's timed work: identity resolution of received events, about every second. */
export function eventTasks(deps: { db: Kysely<any>; clock: Clock; logger: Logger }): PeriodicTask[] {
  return [
    {
      name: 'events.process',
      everyMs: 1_000,
      run: async () => {
        const processed = await processPendingEvents(deps.db, deps.clock)
        if (processed > 0) deps.logger.debug({ processed }, 'events processed')
      },
    },
  ]
}
