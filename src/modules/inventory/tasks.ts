import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { releaseExpired } from './expiry.js'

const batch = 500

/**
 * Releases every reservation past its expiry, a batch per transaction so a backlog (after a
 * restart, say) never holds locks for long. Safe in several processes at once: each batch
 * claims its rows with SKIP LOCKED.
 */
export async function expireReservations(db: Kysely<any>, clock: Clock): Promise<number> {
  let total = 0
  for (;;) {
    const expired = await inTransaction(db, (tx) => releaseExpired(tx, clock, batch))
    total += expired
    if (expired < batch) return total
  }
}

/** Inventory's timed work: reservation expiry, about every second. */
export function inventoryTasks(deps: {
  db: Kysely<any>
  clock: Clock
  logger: Logger
}): PeriodicTask[] {
  return [
    {
      name: 'inventory.expire-reservations',
      everyMs: 1_000,
      run: async () => {
        const expired = await expireReservations(deps.db, deps.clock)
        if (expired > 0) deps.logger.info({ expired }, 'reservations expired')
      },
    },
  ]
}
