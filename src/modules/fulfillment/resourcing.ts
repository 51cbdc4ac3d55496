import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, notFound, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { FulfillmentRow, FulfillmentTables } from './db.js'
import type { TransferView } from '../inventory/index.js'
import type { FulfillmentView } from './schema.js'
import type { FulfillmentState } from './states.js'
import { newParcel } from './fulfillments.js'
import { parcelFacts } from './transitions.js'
import { fulfillmentViews } from './views.js'

type FulfillmentTx = Tx<FulfillmentTables>
type Line = { sku: string; quantity: number }

/** Nothing has been packed yet: the parcel can still be made up from elsewhere. */
const movable: readonly FulfillmentState[] = ['allocated', 'picking']

export type LockedForResourcing = {
  row: FulfillmentRow
  siblings: FulfillmentRow[]
  /** Locations of the order's other fulfilments that can take no more lines. */
  blocked: string[]
}

/**
 * Locks a fulfilment and its order's other fulfilments (the order moves of `moveFulfillment`
 * use too) before some of its units are re-sourced. Throws `not-found`; `illegal-transition`
 * unless it is `allocated` or `picking`; `validation-failed` at `lines.N.sku` / `lines.N.quantity`
 * for a SKU it does not hold or more units than it holds.
 */
export async function lockForResourcing(
  tx: FulfillmentTx,
  id: string,
  lines: readonly Line[],
): Promise<LockedForResourcing> {
  const row = await tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw notFound('fulfillment', id)
  if (!movable.includes(row.status))
    throw new DomainError(
      'illegal-transition',
      `Fulfillment ${id} is ${row.status}: only allocated or picking fulfilments can be re-sourced`,
      { from: row.status, to: 'resourced', allowed: [] },
    )
  const siblings = await tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('order_id', '=', row.order_id)
    .where('id', '!=', row.id)
    .orderBy('id')
    .forUpdate()
    .execute()
  const held = await tx
    .selectFrom('fulfillment.fulfillment_line')
    .select(['sku', 'quantity'])
    .where('fulfillment_id', '=', id)
    .execute()
  const errors = lines.flatMap((l, i) => {
    const have = held.find((h) => h.sku === l.sku)?.quantity ?? 0
    if (have === 0)
      return [{ path: `lines.${i}.sku`, message: `${l.sku} is not in this fulfilment` }]
    if (l.quantity > have)
      return [{ path: `lines.${i}.quantity`, message: `the fulfilment holds ${have} of ${l.sku}` }]
    return []
  })
  if (errors.length > 0) throw validationFailed(errors)
  const blocked = siblings.filter((s) => !movable.includes(s.status)).map((s) => s.location)
  return { row, siblings, blocked: [...blocked, row.location] }
}

/**
 * Moves `lines` out of a fulfilment locked by `lockForResourcing` into the order's fulfilments
 * at the `to` locations, adding to one already there or creating one (`allocated`, the order's
 * method and payment). A fulfilment left with nothing is `cancelled` — its units were written
 * off, not returned, so nothing is restocked. Appends `fulfillment.resourced`.
 */
export async function relocateLines(
  tx: FulfillmentTx,
  clock: Clock,
  locked: LockedForResourcing,
  input: {
    lines: readonly Line[]
    to: readonly { location: string; lines: readonly Line[] }[]
    reason: string
    actor: string
  },
): Promise<{ from: FulfillmentView; to: FulfillmentView[] }> {
  const { row, siblings } = locked
  const now = clock.now()
  await takeLines(tx, row.id, input.lines)
  const left = await tx
    .selectFrom('fulfillment.fulfillment_line')
    .select('sku')
    .where('fulfillment_id', '=', row.id)
    .execute()
  const from = await tx
    .updateTable('fulfillment.fulfillment')
    .set({ updated_at: now, ...(left.length === 0 && { status: 'cancelled' as const }) })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  const targets: FulfillmentRow[] = []
  for (const t of input.to) {
    const existing = siblings.find((s) => s.location === t.location)
    const target =
      existing ??
      (await tx
        .insertInto('fulfillment.fulfillment')
        .values({
          ...row,
          id: newId('ful'),
          location: t.location,
          ...newParcel(now),
        })
        .returningAll()
        .executeTakeFirstOrThrow())
    await addLines(tx, target.id, t.lines)
    targets.push(target)
  }
  const [fromView, ...toViews] = await fulfillmentViews(tx, [from, ...targets])
  await appendEvents(crossModule(tx), clock, [
    resourcedEvent(row, input, {
      to: toViews.map((v, i) => ({
        fulfillmentId: v!.id,
        location: v!.location,
        lines: input.to[i]!.lines,
      })),
      transfers: [],
      cancelled: from.status === 'cancelled',
    }),
  ])
  return { from: fromView!, to: toViews.map((v) => v!) }
}

/**
 * A collection locked by `lockForResourcing` keeps its lines — the customer still comes to its
 * store — while `transfers` bring the missing units there from elsewhere; it cannot be made
 * ready until they are received. Appends `fulfillment.resourced` naming them.
 */
export async function awaitTransfers(
  tx: FulfillmentTx,
  clock: Clock,
  locked: LockedForResourcing,
  input: {
    lines: readonly Line[]
    transfers: readonly TransferView[]
    reason: string
    actor: string
  },
): Promise<void> {
  const row = await tx
    .updateTable('fulfillment.fulfillment')
    .set({ updated_at: clock.now() })
    .where('id', '=', locked.row.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  await appendEvents(crossModule(tx), clock, [
    resourcedEvent(row, input, {
      to: [],
      transfers: input.transfers.map((t) => ({
        transferId: t.id,
        from: t.from,
        sku: t.sku,
        quantity: t.quantity,
      })),
      cancelled: false,
    }),
  ])
}

function resourcedEvent(
  row: FulfillmentRow,
  input: { lines: readonly Line[]; reason: string; actor: string },
  outcome: { to: object[]; transfers: object[]; cancelled: boolean },
) {
  return {
    name: 'fulfillment.resourced',
    version: 1,
    payload: {
      ...parcelFacts(row),
      lines: input.lines,
      ...outcome,
      reason: input.reason,
      by: input.actor,
    },
    channel: row.channel,
    profileId: row.customer_id,
  }
}

async function takeLines(tx: FulfillmentTx, id: string, lines: readonly Line[]) {
  await sql`
    with d(sku, qty) as (
      select * from unnest(${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[])
    ),
    upd as (
      update fulfillment.fulfillment_line f set quantity = f.quantity - d.qty
      from d where f.fulfillment_id = ${id} and f.sku = d.sku and f.quantity > d.qty
      returning f.sku
    )
    delete from fulfillment.fulfillment_line f using d
    where f.fulfillment_id = ${id} and f.sku = d.sku and f.quantity = d.qty`.execute(tx)
}

async function addLines(tx: FulfillmentTx, id: string, lines: readonly Line[]) {
  await sql`
    insert into fulfillment.fulfillment_line (fulfillment_id, sku, quantity)
    select ${id}, l.sku, l.qty
    from unnest(${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[]) as l(sku, qty)
    on conflict (fulfillment_id, sku)
    do update set quantity = fulfillment.fulfillment_line.quantity + excluded.quantity`.execute(tx)
}
