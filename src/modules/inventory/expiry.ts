import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables, ReservationRow } from './db.js'
import { crossingEvents, inventoryEvents, reservationEvent } from './events.js'
import type { Allocation } from './sourcing.js'
import { reservationTransitions, sourcesOf } from './states.js'
import { applyDeltas } from './stock.js'

// Literals, not a parameter: the planner can then use the partial index on active rows' expiry
// (a bound array hides the value at planning time and the scan reads every reservation).
const expirable = sql.join(sourcesOf(reservationTransitions, 'expired').map((s) => sql.lit(s)))

/**
 * Expires up to `limit` active reservations whose `expires_at` has passed, set-based, and frees
 * their units; answers how many it expired. The due rows are claimed with FOR UPDATE SKIP
 * LOCKED, so several processes running this at once each take different reservations, and a
 * reservation being confirmed or released right now is left to that transaction. Appends
 * `inventory.reservation_expired` per reservation and any back-in-stock crossings.
 */
export async function releaseExpired(
  tx: Tx<InventoryTables>,
  clock: Clock,
  limit = 500,
): Promise<number> {
  const now = clock.now()
  const result = await sql<ReservationRow & Allocation>`
    with due as (
      select id from inventory.reservation
      where status in (${expirable})
        and expires_at <= ${now}
      order by expires_at
      limit ${limit}
      for update skip locked
    ),
    r as (
      update inventory.reservation r set status = 'expired', updated_at = ${now}
      from due where r.id = due.id
      returning r.*
    )
    select r.*, l.sku, l.location, l.quantity
    from r join inventory.reservation_line l on l.reservation_id = r.id
    order by r.id, l.sku, l.location`.execute(tx)
  if (result.rows.length === 0) return 0
  const changes = await applyDeltas(
    tx,
    now,
    result.rows.map((l) => ({
      sku: l.sku,
      location: l.location,
      onHand: 0,
      reserved: -l.quantity,
    })),
    'floor',
  )
  const byReservation = new Map<string, (ReservationRow & Allocation)[]>()
  for (const row of result.rows)
    byReservation.set(row.id, [...(byReservation.get(row.id) ?? []), row])
  await appendEvents(crossModule(tx), clock, [
    ...[...byReservation.values()].map((lines) =>
      reservationEvent(inventoryEvents.expired, lines[0]!, lines),
    ),
    ...crossingEvents(changes, null),
  ])
  return byReservation.size
}
