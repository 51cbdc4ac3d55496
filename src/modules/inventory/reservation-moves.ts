import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables } from './db.js'
import { crossingEvents } from './events.js'
import { lockAvailable, refusal } from './sourced-reservations.js'
import {
  planSourcing,
  type Candidate,
  type PlannedLine,
  type SourcingPlan,
  type SourcingPolicy,
} from './sourcing-rules.js'
import type { TransferView } from './schema.js'
import { applyDeltas, appendLedger } from './stock.js'
import { refusedTransition, reservationTransitions } from './states.js'
import { sendConsignments, transferView } from './transfers.js'

type InventoryTx = Tx<InventoryTables>

export type ResourceInput = {
  reservationId: string
  /** The location that cannot serve the units (a store found them missing). */
  from: string
  /** The missing units, each at most what the reservation holds at `from`. */
  lines: readonly PlannedLine[]
  /** Where they may come from instead (never `from`). */
  candidates: readonly Candidate[]
  policy: SourcingPolicy
  actor: string
  reason: string
  /**
   * Where the customer collects: the units are not reserved where they are found but sent there
   * by transfer, and held for the reservation again when it is received.
   */
  deliverTo?: string
}

export type ResourcedPlan = SourcingPlan & {
  /** The transfers bringing the units to `deliverTo` (none without it). */
  transfers: TransferView[]
}

/**
 * Moves part of an active reservation away from a location that cannot serve it: the missing
 * units are written off there (on-hand and reserved both fall, an `adjustment` ledger entry per
 * line, so the ledger still sums to on-hand), and the same units are reserved where
 * `planSourcing` chooses among `candidates` under the policy — or, with `deliverTo`, sent from
 * there to the collection point by transfer (see `ResourceInput`). The reservation row is locked
 * first, then the stock rows in (sku, location) order, as confirming and releasing do; the plan
 * is made from locked rows, so its guarded reservation cannot be refused. Throws `not-found`,
 * `illegal-transition` (the reservation is no longer active), `validation-failed` at
 * `lines.N.quantity` (more than is held there), or `insufficient-stock` with shortages when no
 * candidate can take the units — before anything is written. Appends level crossings.
 */
export async function resourceReservation(
  tx: InventoryTx,
  clock: Clock,
  input: ResourceInput,
): Promise<ResourcedPlan> {
  const reservation = await tx
    .selectFrom('inventory.reservation')
    .selectAll()
    .where('id', '=', input.reservationId)
    .forUpdate()
    .executeTakeFirst()
  if (!reservation) throw notFound('reservation', input.reservationId)
  if (reservation.status !== 'active')
    throw refusedTransition('reservation', reservationTransitions, reservation.status, 'active')
  const held = await tx
    .selectFrom('inventory.reservation_line')
    .select(['sku', 'quantity'])
    .where('reservation_id', '=', reservation.id)
    .where('location', '=', input.from)
    .execute()
  const heldOf = (sku: string) => Number(held.find((h) => h.sku === sku)?.quantity ?? 0)
  const over = input.lines.flatMap((l, i) =>
    l.quantity > heldOf(l.sku)
      ? [
          {
            path: `lines.${i}.quantity`,
            message: `${heldOf(l.sku)} of ${l.sku} are held at ${input.from}`,
          },
        ]
      : [],
  )
  if (over.length > 0) throw validationFailed(over)
  const candidates = input.candidates.filter((c) => c.location !== input.from)
  const available = await lockAvailable(
    tx,
    input.lines.map((l) => l.sku),
    [input.from, ...candidates.map((c) => c.location)],
  )
  const decision = planSourcing({
    lines: input.lines,
    method: 'ship',
    pickupAt: null,
    candidates,
    ownStore: null,
    available,
    policy: input.policy,
  })
  if (!decision.ok) throw refusal(decision)
  const now = clock.now()
  const moves = decision.shipments.flatMap((s) =>
    s.lines.map((l) => ({ ...l, location: s.location })),
  )
  const written = await applyDeltas(
    tx,
    now,
    input.lines.map((l) => ({
      sku: l.sku,
      location: input.from,
      onHand: -l.quantity,
      reserved: -l.quantity,
    })),
    'floor',
  )
  const sent = input.deliverTo
    ? await sendConsignments(
        tx,
        now,
        input.actor,
        moves.map((m) => ({
          sku: m.sku,
          from: m.location,
          to: input.deliverTo!,
          quantity: m.quantity,
          reason: input.reason,
          reference: reservation.reference,
          reservationId: reservation.id,
        })),
      )
    : null
  const reserved = sent
    ? sent.changes
    : await applyDeltas(
        tx,
        now,
        moves.map((m) => ({ sku: m.sku, location: m.location, onHand: 0, reserved: m.quantity })),
        'available',
      )
  // Both sides were locked and checked above; a row refused here is a bug, not a refusal.
  if (written.length !== input.lines.length || reserved.length !== moves.length)
    throw new Error(`reservation ${reservation.id}: re-sourcing changed fewer rows than planned`)
  const changes = [...written, ...reserved]
  await appendLedger(
    tx,
    now,
    input.lines.map((l) => ({
      sku: l.sku,
      location: input.from,
      kind: 'adjustment',
      quantity: -l.quantity,
      reason: input.reason,
      actor: input.actor,
      reference: reservation.reference,
    })),
  )
  await moveLines(tx, reservation.id, input.from, input.lines, sent ? [] : moves)
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, reservation.channel))
  return {
    rule: decision.rule,
    reason: decision.reason,
    shipments: decision.shipments,
    transfers: sent?.rows.map(transferView) ?? [],
  }
}

/** Takes the units off the reservation's lines at `from` and adds them where they now come from. */
async function moveLines(
  tx: InventoryTx,
  reservationId: string,
  from: string,
  lines: readonly PlannedLine[],
  moves: readonly (PlannedLine & { location: string })[],
) {
  await sql`
    with d(sku, qty) as (
      select * from unnest(${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::bigint[])
    ),
    upd as (
      update inventory.reservation_line r set quantity = r.quantity - d.qty
      from d where r.reservation_id = ${reservationId} and r.location = ${from} and r.sku = d.sku
        and r.quantity > d.qty
      returning r.sku
    )
    delete from inventory.reservation_line r using d
    where r.reservation_id = ${reservationId} and r.location = ${from} and r.sku = d.sku
      and r.quantity = d.qty`.execute(tx)
  if (moves.length === 0) return
  await sql`
    insert into inventory.reservation_line (reservation_id, sku, location, quantity)
    select ${reservationId}, m.sku, m.location, m.qty
    from unnest(${moves.map((m) => m.sku)}::text[], ${moves.map((m) => m.location)}::text[],
                ${moves.map((m) => m.quantity)}::bigint[]) as m(sku, location, qty)
    on conflict (reservation_id, sku, location)
    do update set quantity = inventory.reservation_line.quantity + excluded.quantity`.execute(tx)
}
