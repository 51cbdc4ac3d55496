import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables, ReservationRow } from './db.js'
import { crossingEvents, inventoryEvents, reservationEvent } from './events.js'
import { heldLines } from './reservations.js'
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
  const expired = await sql<ReservationRow>`
    with due as (
      select id from inventory.reservation
      where status in (${expirable})
        and expires_at <= ${now}
      order by expires_at
      limit ${limit}
      for update skip locked
    )
    update inventory.reservation r set status = 'expired', updated_at = ${now}
    from due where r.id = due.id
    returning r.*`.execute(tx)
  if (expired.rows.length === 0) return 0
  expired.rows.sort((a, b) => (a.id < b.id ? -1 : 1))
  const lines = await heldLines(tx, expired.rows.map((r) => r.id))
  const changes = await applyDeltas(
    tx,
    now,
    lines.map((l) => ({
      sku: l.sku,
      location: l.location,
      onHand: 0,
      reserved: -l.quantity,
    })),
    'floor',
  )
  const byReservation = new Map<string, Allocation[]>()
  for (const line of lines) {
    const held = byReservation.get(line.reservation_id)
    if (held) held.push(line)
    else byReservation.set(line.reservation_id, [line])
  }
  await appendEvents(crossModule(tx), clock, [
    ...expired.rows.map((r) =>
      reservationEvent(inventoryEvents.expired, r, byReservation.get(r.id) ?? []),
    ),
    ...crossingEvents(changes, null),
  ])
  return expired.rows.length
}
