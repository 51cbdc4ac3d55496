import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { CartRow, CartsTables } from './db.js'
import { cartAbandoned } from './events.js'

const batch = 500

/**
 * Marks up to `limit` active carts with lines and no change for `idleMinutes` as abandoned, and
 * appends one `cart.abandoned` each. A cart is announced once per idle period: the status leaves
 * `active`, and only a later change (touchOpenCart) brings it back. Safe in several processes:
 * candidates are claimed with FOR UPDATE SKIP LOCKED and the UPDATE re-checks the status, so a
 * cart changed or claimed meanwhile is skipped, never announced twice.
 */
export async function abandonIdle(
  tx: Tx<CartsTables>,
  clock: Clock,
  idleMinutes: number,
  limit = batch,
): Promise<number> {
  const now = clock.now()
  const before = new Date(now.getTime() - idleMinutes * 60_000)
  const abandoned = await sql<CartRow>`
    update carts.cart c set status = 'abandoned', abandoned_at = ${now}
    where c.id in (
      select id from carts.cart
      where status = 'active' and last_activity_at <= ${before}
        and exists (select 1 from carts.cart_line l where l.cart_id = carts.cart.id)
      order by last_activity_at
      limit ${limit}
      for update skip locked)
      and c.status = 'active'
    returning c.*`.execute(tx)
  await appendEvents(crossModule(tx), clock, abandoned.rows.map(cartAbandoned))
  return abandoned.rows.length
}

/** Announces every idle cart, a batch per transaction so a backlog never holds locks long. */
export async function abandonIdleCarts(db: Kysely<any>, clock: Clock, idleMinutes: number): Promise<number> {
  let total = 0
  for (;;) {
    const done = await inTransaction(db, (tx) => abandonIdle(tx, clock, idleMinutes))
    total += done
    if (done < batch) return total
  }
}

/** The carts module's timed work: abandonment, about every thirty seconds. */
export function cartTasks(
  deps: { db: Kysely<any>; clock: Clock; logger: Logger },
  idleMinutes: () => number,
): PeriodicTask[] {
  return [
    {
      name: 'carts.abandon-idle',
      everyMs: 30_000,
      run: async () => {
        const abandoned = await abandonIdleCarts(deps.db, deps.clock, idleMinutes())
        if (abandoned > 0) deps.logger.info({ abandoned }, 'carts abandoned')
      },
    },
  ]
}
