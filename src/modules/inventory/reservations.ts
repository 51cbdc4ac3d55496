import { sql } from 'kysely'
import { actorOf, channelOf, type Principal } from '../../kernel/auth/index.js'
import { addSeconds, type Clock } from '../../kernel/clock.js'
import {
  crossModule,
  RetryTransaction,
  rowsOf,
  statement,
  type RowColumn,
  type Tx,
} from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { sellingLocations } from '../channels/index.js'
import type { InventoryTables, ReservationRow, ReservationStatus } from './db.js'
import { crossingEvents, inventoryEvents, reservationEvent } from './events.js'
import { assertKnown } from './references.js'
import type { ReservationView, ReserveLine } from './schema.js'
import { fixedPlan, planReservation, type Allocation } from './sourcing.js'
import { applyDeltas, appendLedger, insufficientStock, keyOf, type Level } from './stock.js'
import { refusedTransition, reservationTransitions, sourcesOf } from './states.js'

type InventoryTx = Tx<InventoryTables>

/** Who asks: the actor label, the channel they sell for, and their own store if any. */
export type Caller = { actor: string; channel: string | null; location: string | null }

export function callerOf(principal: Principal): Caller {
  return { actor: actorOf(principal), channel: channelOf(principal), location: principal.location }
}

export type ReserveInput = { lines: readonly ReserveLine[]; ttlSeconds: number; reference: string }

export function toView(r: ReservationRow, lines: readonly Allocation[]): ReservationView {
  return {
    id: r.id,
    status: r.status,
    reference: r.reference,
    channel: r.channel,
    store: r.store,
    lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, location: l.location })),
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
  }
}

/** The locations lines without one may come from: none needed when every line names one. */
export async function sellableFor(tx: InventoryTx, caller: Caller, input: ReserveInput) {
  return input.lines.some((l) => !l.location) ? sellingLocations(crossModule(tx), caller.channel) : []
}

/** The row a reservation will be stored as, once granted. */
export function newReservation(caller: Caller, input: ReserveInput, now: Date): ReservationRow {
  return {
    id: newId('res'),
    status: 'active',
    reference: input.reference,
    channel: caller.channel,
    store: caller.location,
    actor: caller.actor,
    expires_at: addSeconds(now, input.ttlSeconds),
    created_at: now,
    updated_at: now,
  }
}

/** Locks every row a plan may draw from, in (sku, location) order, and reads it. */
async function lockCandidates(
  tx: InventoryTx,
  lines: readonly ReserveLine[],
  sellable: readonly string[],
) {
  const named = lines.filter((l) => l.location)
  const sourced = [...new Set(lines.filter((l) => !l.location).map((l) => l.sku))]
  const result = await sql<Level>`
    select s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold
    from inventory.stock_level s
    where (s.sku, s.location) in (
            select * from unnest(${named.map((l) => l.sku)}::text[],
                                 ${named.map((l) => l.location!)}::text[]))
       or (s.sku = any(${sourced}::text[]) and s.location = any(${sellable}::text[]))
    order by s.sku, s.location
    for update`.execute(tx)
  return result.rows
}

function availableByLocation(locked: readonly Level[]) {
  const available = new Map<string, Map<string, number>>()
  for (const l of locked) {
    const at = available.get(l.sku) ?? new Map<string, number>()
    at.set(l.location, Math.max(0, l.on_hand - l.reserved - l.safety_stock))
    available.set(l.sku, at)
  }
  return available
}

/**
 * A line with no stock row at all may name an unknown SKU or location: that is a bad request
 * (`validation-failed` at its path), not a shortage. Only asked on the refusal path.
 */
async function assertLinesKnown(
  tx: InventoryTx,
  lines: readonly ReserveLine[],
  locked: readonly Level[],
) {
  const stockedSkus = new Set(locked.map((l) => l.sku))
  const stockedKeys = new Set(locked.map(keyOf))
  await assertKnown(
    tx,
    lines.flatMap((l, i) =>
      stockedSkus.has(l.sku) ? [] : [{ sku: l.sku, path: `lines.${i}.sku` }],
    ),
    lines.flatMap((l, i) =>
      l.location && !stockedKeys.has(keyOf({ sku: l.sku, location: l.location }))
        ? [{ code: l.location, path: `lines.${i}.location` }]
        : [],
    ),
  )
}

const allocationColumns: RowColumn[] = [['sku', 'text'], ['location', 'text'], ['qty', 'bigint']]

/**
 * One statement, all or nothing: locks the rows in (sku, location) order, reserves every
 * allocation only if each fits (the rule is also in the UPDATE's WHERE), and inserts the
 * reservation and its lines only then. Answers the locked rows as they were before, and whether
 * the reservation was granted; when it was not, nothing was written and the rows stay locked,
 * so they explain the refusal.
 */
const granting = statement(
  (_db, p: { reservation: ReservationRow; allocations: [string, string, number][] }) => {
    const { reservation, allocations } = p
    const now = reservation.created_at
    return sql<Level & { qty: number; granted: number; fits: boolean }>`
    with r(sku, location, qty) as (
      select * from ${rowsOf('a', allocationColumns, allocations)}
    ),
    locked as materialized (
      select s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold, r.qty
      from inventory.stock_level s join r on r.sku = s.sku and r.location = s.location
      order by s.sku, s.location
      for update of s
    ),
    fits as (
      select count(*) = ${allocations.length} as ok from locked
      where on_hand - reserved - safety_stock >= qty
    ),
    upd as (
      update inventory.stock_level s set reserved = s.reserved + locked.qty, updated_at = ${now}
      from locked, fits
      where fits.ok and s.sku = locked.sku and s.location = locked.location
        and s.on_hand - s.reserved - s.safety_stock >= locked.qty
      returning s.sku
    ),
    res as (
      insert into inventory.reservation
        (id, status, reference, channel, store, actor, expires_at, created_at, updated_at)
      select ${reservation.id}::text, 'active', ${reservation.reference}::text,
             ${reservation.channel}::text, ${reservation.store}::text, ${reservation.actor}::text,
             ${reservation.expires_at}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      from fits where fits.ok
    ),
    lin as (
      insert into inventory.reservation_line (reservation_id, sku, location, quantity)
      select ${reservation.id}::text, r.sku, r.location, r.qty from r, fits where fits.ok
    )
    select locked.*, (select count(*) from upd)::int as granted, (select ok from fits) as fits from locked`
  },
)

async function grant(tx: InventoryTx, reservation: ReservationRow, lines: readonly Allocation[]) {
  const allocations = lines.map((l): [string, string, number] => [l.sku, l.location, l.quantity])
  const rows = await granting.execute(tx, { reservation, allocations })
  const levels = rows.map(({ qty: _qty, granted: _granted, fits: _fits, ...level }) => level)
  const granted = (rows[0]?.granted ?? 0) === lines.length
  if (rows[0]?.fits && !granted) throw new RetryTransaction(`reservation ${reservation.id}: a locked row was skipped`)
  const changes = rows.map(({ qty, granted: _granted, fits: _fits, ...before }) => ({
    before,
    after: { ...before, reserved: before.reserved + qty },
  }))
  return { granted, levels, changes }
}

/**
 * Reserves every line or none and answers the reservation (status `active`).
 *
 * When each line can come from one location only (it names one, or the caller's channel sells
 * from one), a single statement locks the rows in (sku, location) order and reserves all lines
 * or none, the rule `on_hand - reserved - safety_stock >= qty` in its WHERE. Otherwise the
 * candidate rows are locked in that same order and read first, `planReservation` chooses the
 * locations from them, and the same statement grants the plan. The lock order means concurrent
 * reservations of overlapping SKUs queue instead of deadlocking. Statements: the channel's
 * selling locations when a line names no location (one or two), the read-and-lock when there
 * is a choice, the grant with its inserts, the outbox.
 *
 * Throws `insufficient-stock` with `shortages: [{sku, location?, requested, available}]`, or
 * `validation-failed` at `lines.N.sku` / `lines.N.location` for unknown SKUs or locations.
 * Appends `inventory.reserved` and any low / out-of-stock crossings, stamped with the caller's
 * channel.
 */
export async function reserve(
  tx: InventoryTx,
  clock: Clock,
  caller: Caller,
  input: ReserveInput,
): Promise<ReservationView> {
  const sellable = await sellableFor(tx, caller, input)
  const reservation = newReservation(caller, input, clock.now())
  const fixed = fixedPlan(input.lines, sellable)
  let attempt = fixed ? await grant(tx, reservation, fixed) : null
  let allocations = fixed ?? []
  if (!attempt?.granted) {
    const locked = attempt?.levels ?? (await lockCandidates(tx, input.lines, sellable))
    const available = availableByLocation(locked)
    const plan = planReservation(input.lines, { available, sellable, preferred: caller.location })
    if (plan.shortages.length > 0) {
      await assertLinesKnown(tx, input.lines, locked)
      throw insufficientStock(plan.shortages)
    }
    allocations = plan.allocations
    attempt = await grant(tx, reservation, allocations)
    // The plan was made from rows this transaction holds locked: it cannot be refused.
    if (!attempt.granted) throw new Error(`reservation ${reservation.id}: locked plan refused`)
  }
  await appendEvents(crossModule(tx), clock, [
    reservationEvent(inventoryEvents.reserved, reservation, allocations),
    ...crossingEvents(attempt.changes, caller.channel),
  ])
  return toView(reservation, allocations)
}

/** A reservation and its lines; `not-found` otherwise. */
export async function getReservation(tx: InventoryTx, id: string): Promise<ReservationView> {
  const rows = await tx
    .selectFrom('inventory.reservation as r')
    .innerJoin('inventory.reservation_line as l', 'l.reservation_id', 'r.id')
    .selectAll('r')
    .select(['l.sku', 'l.location', 'l.quantity'])
    .where('r.id', '=', id)
    .orderBy('l.sku')
    .orderBy('l.location')
    .execute()
  if (!rows[0]) throw notFound('reservation', id)
  return toView(rows[0], rows)
}

/**
 * Moves a reservation to `to` if the transitions table allows it from its current status: the
 * allowed sources are the UPDATE's guard, so two callers racing (confirm against release, or
 * against the expiry task) cannot both win. Answers the row and its lines.
 */
async function transition(tx: InventoryTx, now: Date, id: string, to: ReservationStatus) {
  const moved = await sql<ReservationRow>`
    update inventory.reservation set status = ${to}, updated_at = ${now}
    where id = ${id} and status = any(${sourcesOf(reservationTransitions, to)}::text[])
    returning *`.execute(tx)
  const reservation = moved.rows[0]
  if (reservation) return { reservation, lines: await heldLines(tx, [id]) }
  const current = await tx
    .selectFrom('inventory.reservation')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirst()
  if (!current) throw notFound('reservation', id)
  throw refusedTransition('reservation', reservationTransitions, current.status, to)
}

/**
 * The lines of reservations whose rows this transaction has just locked, in (reservation, sku,
 * location) order. A statement of its own, after the lock: a statement sees the database as it
 * was when it began, so lines read together with the locking update would miss what a
 * re-sourcing or a received transfer committed while the update waited for the row.
 */
export async function heldLines(tx: InventoryTx, ids: readonly string[]) {
  return tx
    .selectFrom('inventory.reservation_line')
    .select(['reservation_id', 'sku', 'location', 'quantity'])
    .where(sql<boolean>`reservation_id = any(${[...ids]}::text[])`)
    .orderBy('reservation_id')
    .orderBy('sku')
    .orderBy('location')
    .execute()
}

function mustHoldAll(changes: readonly unknown[], lines: readonly unknown[], id: string) {
  // on_hand >= reserved is kept by every write, so reserved units can always be sold or freed.
  if (changes.length !== lines.length)
    throw new Error(`stock rows of reservation ${id} no longer hold its units`)
}

/**
 * Turns an active reservation into a sale: reserved and on-hand stock both fall by each line's
 * quantity (available is unchanged) and a `sale` ledger entry is written per line. Throws
 * `not-found`, or `illegal-transition` with `allowed` when it is no longer active. A
 * reservation past its `expiresAt` that the expiry task has not reached yet (at most about a
 * second) is still active and may be confirmed: its units were held all along, so nothing is
 * oversold. Appends `inventory.sold`.
 */
export async function confirmReservation(
  tx: InventoryTx,
  clock: Clock,
  actor: string,
  id: string,
): Promise<ReservationView> {
  const now = clock.now()
  const { reservation, lines } = await transition(tx, now, id, 'confirmed')
  const changes = await applyDeltas(
    tx,
    now,
    lines.map((l) => ({
      sku: l.sku,
      location: l.location,
      onHand: -l.quantity,
      reserved: -l.quantity,
    })),
    'floor',
  )
  mustHoldAll(changes, lines, id)
  await appendLedger(
    tx,
    now,
    lines.map((l) => ({
      sku: l.sku,
      location: l.location,
      kind: 'sale',
      quantity: -l.quantity,
      reason: `reservation ${id} confirmed`,
      actor,
      reference: reservation.reference,
    })),
  )
  await appendEvents(crossModule(tx), clock, [
    reservationEvent(inventoryEvents.sold, reservation, lines),
    ...crossingEvents(changes, reservation.channel),
  ])
  return toView(reservation, lines)
}

/**
 * Gives an active reservation's units back to available stock. Throws `not-found`, or
 * `illegal-transition` with `allowed`. Appends `inventory.reservation_released` and any
 * back-in-stock crossings.
 */
export async function releaseReservation(
  tx: InventoryTx,
  clock: Clock,
  id: string,
): Promise<ReservationView> {
  const now = clock.now()
  const { reservation, lines } = await transition(tx, now, id, 'released')
  const changes = await applyDeltas(
    tx,
    now,
    lines.map((l) => ({ sku: l.sku, location: l.location, onHand: 0, reserved: -l.quantity })),
    'floor',
  )
  mustHoldAll(changes, lines, id)
  await appendEvents(crossModule(tx), clock, [
    reservationEvent(inventoryEvents.released, reservation, lines),
    ...crossingEvents(changes, reservation.channel),
  ])
  return toView(reservation, lines)
}
