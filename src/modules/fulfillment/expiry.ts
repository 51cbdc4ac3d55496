import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { PaymentProvider } from '../payments/index.js'
import type { FulfillmentRow, FulfillmentTables } from './db.js'
import type { OrderFollower } from './port.js'
import { settleDuePayments, settleFulfillmentPayment } from './settle.js'
import { changeOf, fulfillmentEvent, releaseQuietly } from './transitions.js'

type FulfillmentTx = Tx<FulfillmentTables>

const batch = 100
const system = 'system:pickup-expiry'

/**
 * Expires up to `limit` collections waiting at a store since before `cutoff`, in the caller's
 * transaction. One statement claims and moves them: SKIP LOCKED leaves rows another process (or
 * a clerk handing the parcel over right now) holds, and the guard `status = 'ready_for_pickup'`
 * is re-checked on the locked row, so a collection picked up meanwhile is not expired. The
 * void of the payment is marked due when nothing else of the order is still coming. Then, per
 * expired collection, its order's reservation is released (a collection is the only parcel of
 * its order, being reserved at its store alone) and the order follows; one `fulfillment.expired`
 * per row is appended. Answers the expired rows.
 */
export async function expireDuePickups(
  tx: FulfillmentTx,
  clock: Clock,
  follower: OrderFollower,
  cutoff: Date,
  limit = batch,
): Promise<FulfillmentRow[]> {
  const { rows } = await sql<FulfillmentRow>`
    with due as (
      select id from fulfillment.fulfillment
      where status = 'ready_for_pickup' and ready_at <= ${cutoff}
      order by ready_at, id
      limit ${limit}
      for update skip locked
    )
    update fulfillment.fulfillment f
    set status = 'expired', updated_at = ${clock.now()},
        payment_due = case when exists (
          select 1 from fulfillment.fulfillment s
          where s.order_id = f.order_id and s.id <> f.id
            and s.status not in ('cancelled', 'expired')) then f.payment_due else 'void' end
    from due where f.id = due.id and f.status = 'ready_for_pickup'
    returning f.*`.execute(tx)
  if (rows.length === 0) return []
  const siblings = await tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where(
      'order_id',
      'in',
      rows.map((r) => r.order_id),
    )
    .execute()
  const others = (r: FulfillmentRow) =>
    siblings.filter((s) => s.order_id === r.order_id && s.id !== r.id)
  // Each reservation and order is its own row in another module, reached through its door.
  for (const r of rows) {
    if (others(r).every((s) => s.status === 'cancelled' || s.status === 'expired'))
      await releaseQuietly(tx, clock, r.reservation_id)
  }
  await follower.follow(
    crossModule(tx),
    clock,
    rows.map((r) => changeOf(r, 'ready_for_pickup', system, others(r))),
  )
  await appendEvents(
    crossModule(tx),
    clock,
    rows.map((r) => fulfillmentEvent(r, 'ready_for_pickup')),
  )
  return rows
}

/**
 * Expires every collection older than the hold, a batch per transaction, then voids their
 * payments with no transaction open (a failure stays due and is retried). Safe in several
 * processes at once. Answers how many expired.
 */
export async function expirePickups(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  follower: OrderFollower,
  holdHours: number,
): Promise<number> {
  let total = 0
  for (;;) {
    const cutoff = new Date(clock.now().getTime() - holdHours * 3_600_000)
    const expired = await inTransaction(db as Kysely<FulfillmentTables>, (tx) =>
      expireDuePickups(tx, clock, follower, cutoff),
    )
    for (const r of expired) {
      if (!r.payment_due) continue
      // An unreachable provider leaves the void due; the settle-payments task retries it.
      await settleFulfillmentPayment(db, clock, provider, r.id).catch(() => undefined)
    }
    total += expired.length
    if (expired.length < batch) return total
  }
}

/** Fulfilment's timed work: pick-up expiry and payment retries. */
export function fulfillmentTasks(
  deps: { db: Kysely<any>; clock: Clock; logger: Logger },
  provider: PaymentProvider,
  follower: OrderFollower,
  holdHours: () => number,
): PeriodicTask[] {
  return [
    {
      name: 'fulfillment.expire-pickups',
      everyMs: 60_000,
      run: async () => {
        const expired = await expirePickups(deps.db, deps.clock, provider, follower, holdHours())
        if (expired > 0) deps.logger.info({ expired }, 'collections expired')
      },
    },
    {
      name: 'fulfillment.settle-payments',
      everyMs: 30_000,
      run: () => settleDuePayments(deps.db, deps.clock, provider),
    },
  ]
}
