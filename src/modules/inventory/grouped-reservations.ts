import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, RetryTransaction, type Settled, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { appendEvents, type NewEvent } from '../../kernel/outbox/index.js'
import type { InventoryTables, ReservationRow } from './db.js'
import { crossingEvents, inventoryEvents, reservationEvent } from './events.js'
import { newReservation, reserve, sellableFor, toView, type Caller, type ReserveInput } from './reservations.js'
import type { ReservationView } from './schema.js'
import { fixedPlan, type Allocation } from './sourcing.js'
import { keyOf, type Level } from './stock.js'

type InventoryTx = Tx<InventoryTables>

export type ReserveRequest = { caller: Caller; input: ReserveInput }

type Fixed = { idx: number; reservation: ReservationRow; allocations: Allocation[] }

/**
 * Grants a whole group of fixed-plan reservations with one statement. Rows are locked in
 * (sku, location) order; a reservation fits when, on each of its rows, the demand of every
 * reservation before it in the group plus its own is available — a prefix sum, so the granted
 * set can never exceed a row's stock, though it may refuse one that a perfectly packed order
 * would fit (those go through `reserve` alone next). Only fitting reservations are written.
 */
async function grantGroup(tx: InventoryTx, now: Date, group: readonly Fixed[]) {
  const lines = group.flatMap((g) => g.allocations.map((a) => ({ idx: g.idx, ...a })))
  const result = await sql<{ granted: number[]; updated: number; rows: number; levels: Level[] | null }>`
    with r(idx, sku, location, qty) as (
      select * from unnest(${lines.map((l) => l.idx)}::int[], ${lines.map((l) => l.sku)}::text[],
                           ${lines.map((l) => l.location)}::text[], ${lines.map((l) => l.quantity)}::bigint[])
    ),
    locked as materialized (
      select s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold
      from inventory.stock_level s
      where (s.sku, s.location) in (select sku, location from r)
      order by s.sku, s.location
      for update
    ),
    demand as (
      select r.idx, r.sku, r.location,
             sum(r.qty) over (partition by r.sku, r.location order by r.idx) as cum
      from r
    ),
    fits as (
      select d.idx from demand d
      left join locked l on l.sku = d.sku and l.location = d.location
      group by d.idx
      having bool_and(l.sku is not null and l.on_hand - l.reserved - l.safety_stock >= d.cum)
    ),
    granted as (
      select r.sku, r.location, sum(r.qty)::bigint as qty from r join fits using (idx)
      group by r.sku, r.location
    ),
    upd as (
      update inventory.stock_level s set reserved = s.reserved + g.qty, updated_at = ${now}
      from granted g
      where s.sku = g.sku and s.location = g.location
        and s.on_hand - s.reserved - s.safety_stock >= g.qty
      returning s.sku
    ),
    v(id, reference, channel, store, actor, expires_at, idx) as (
      select * from unnest(${group.map((g) => g.reservation.id)}::text[],
                           ${group.map((g) => g.reservation.reference)}::text[],
                           ${group.map((g) => g.reservation.channel)}::text[],
                           ${group.map((g) => g.reservation.store)}::text[],
                           ${group.map((g) => g.reservation.actor)}::text[],
                           ${group.map((g) => g.reservation.expires_at.toISOString())}::timestamptz[],
                           ${group.map((g) => g.idx)}::int[])
    ),
    res as (
      insert into inventory.reservation
        (id, status, reference, channel, store, actor, expires_at, created_at, updated_at)
      select v.id, 'active', v.reference, v.channel, v.store, v.actor, v.expires_at, ${now}, ${now}
      from v join fits using (idx)
    ),
    lin as (
      insert into inventory.reservation_line (reservation_id, sku, location, quantity)
      select v.id, r.sku, r.location, r.qty from r join fits using (idx) join v using (idx)
    )
    select coalesce((select array_agg(idx) from fits), '{}') as granted,
           (select count(*) from upd)::int as updated,
           (select count(*) from granted)::int as rows,
           (select json_agg(locked) from locked) as levels`.execute(tx)
  const row = result.rows[0]!
  // The prefix rule implies every granted row passes the UPDATE's guard too, unless the update
  // skipped a row this command locked after a concurrent change (see RetryTransaction).
  if (row.updated !== row.rows) throw new RetryTransaction('grouped reservation: a locked row was skipped')
  return { granted: new Set(row.granted), levels: row.levels ?? [] }
}

/** Level events for the rows the group changed, attributed to the last reservation on each. */
function groupCrossings(levels: readonly Level[], granted: readonly Fixed[]): NewEvent[] {
  const added = new Map<string, { qty: number; channel: string | null }>()
  for (const g of granted) {
    for (const a of g.allocations) {
      const seen = added.get(keyOf(a))
      added.set(keyOf(a), { qty: (seen?.qty ?? 0) + a.quantity, channel: g.reservation.channel })
    }
  }
  return levels.flatMap((before) => {
    const change = added.get(keyOf(before))
    if (!change) return []
    const after = { ...before, reserved: before.reserved + change.qty }
    return crossingEvents([{ before, after }], change.channel)
  })
}

/**
 * Reserves a group of requests in the caller's transaction, each all or nothing, as if one by
 * one in arrival order. Requests whose every line has one possible location are granted together
 * by one statement (see `grantGroup`); the others, and any the group statement did not fit, then
 * go through `reserve` one by one, whose refusals write nothing. Settles each request with its
 * reservation or its refusal. Appends the same events `reserve` does.
 */
export async function reserveMany(
  tx: InventoryTx,
  clock: Clock,
  requests: readonly ReserveRequest[],
): Promise<Settled<ReservationView>[]> {
  const now = clock.now()
  const outcomes: (Settled<ReservationView> | undefined)[] = requests.map(() => undefined)
  const fixed: Fixed[] = []
  for (const [idx, { caller, input }] of requests.entries()) {
    const allocations = fixedPlan(input.lines, await sellableFor(tx, caller, input))
    if (allocations) fixed.push({ idx, reservation: newReservation(caller, input, now), allocations })
  }
  if (fixed.length > 1) {
    const { granted, levels } = await grantGroup(tx, now, fixed)
    const done = fixed.filter((f) => granted.has(f.idx))
    for (const f of done) outcomes[f.idx] = { ok: true, value: toView(f.reservation, f.allocations) }
    await appendEvents(crossModule(tx), clock, [
      ...done.map((f) => reservationEvent(inventoryEvents.reserved, f.reservation, f.allocations)),
      ...groupCrossings(levels, done),
    ])
  }
  for (const [idx, { caller, input }] of requests.entries()) {
    if (outcomes[idx]) continue
    try {
      outcomes[idx] = { ok: true, value: await reserve(tx, clock, caller, input) }
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      outcomes[idx] = { ok: false, error: err }
    }
  }
  return outcomes as Settled<ReservationView>[]
}
