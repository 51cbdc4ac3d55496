import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { decodeIdCursor, toPage, type Page } from '../../kernel/http/index.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables, TransferRow } from './db.js'
import { availableOf, crossingEvents } from './events.js'
import { assertKnown } from './references.js'
import type { TransferBody, TransferListQuery, TransferView } from './schema.js'
import { refusedTransition, sourcesOf, transferTransitions } from './states.js'
import {
  appendLedger,
  applyDeltas,
  ensureLevels,
  insufficientStock,
  levelsOf,
  type LevelChange,
} from './stock.js'

type InventoryTx = Tx<InventoryTables>

export type TransferInput = Omit<TransferBody, 'reason'> & { reason?: string | undefined }

/** One consignment to send: a SKU's units from one location to another. */
export type Consignment = {
  sku: string
  from: string
  to: string
  quantity: number
  reason: string
  reference: string | null
  /** The reservation the units are held for again when they arrive. */
  reservationId: string | null
}

export function transferView(row: TransferRow): TransferView {
  return {
    id: row.id,
    sku: row.sku,
    from: row.from_location,
    to: row.to_location,
    quantity: row.quantity,
    status: row.status,
    reason: row.reason,
    reference: row.reference,
    reservationId: row.reservation_id,
    createdAt: row.created_at.toISOString(),
    receivedAt: row.received_at?.toISOString() ?? null,
  }
}

/**
 * Sends units from one location to another: they leave the source at once (a `transfer_out`
 * ledger entry) and are in transit until received. The source's UPDATE requires
 * `on_hand - reserved - safety_stock >= quantity`, so a transfer never takes reserved or safety
 * stock. Throws `validation-failed` for unknown SKU or locations (at `sku`, `from`, `to`),
 * `insufficient-stock` with `shortages` otherwise. Appends level crossings at the source.
 */
export async function createTransfer(
  tx: InventoryTx,
  clock: Clock,
  actor: string,
  input: TransferInput,
): Promise<TransferView> {
  await assertKnown(
    tx,
    [{ sku: input.sku, path: 'sku' }],
    [
      { code: input.from, path: 'from' },
      { code: input.to, path: 'to' },
    ],
  )
  const { rows, changes } = await sendConsignments(tx, clock.now(), actor, [
    {
      sku: input.sku,
      from: input.from,
      to: input.to,
      quantity: input.quantity,
      reason: input.reason ?? 'transfer',
      reference: input.reference ?? null,
      reservationId: null,
    },
  ])
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, null))
  return transferView(rows[0]!)
}

/**
 * Takes each consignment's units out of its source's available stock (never reserved or safety
 * stock: the `available` guard) with a `transfer_out` entry, and records it `in_transit`.
 * Throws `insufficient-stock` with every source short, having written nothing. The caller
 * appends the level crossings it answers.
 */
export async function sendConsignments(
  tx: InventoryTx,
  now: Date,
  actor: string,
  consignments: readonly Consignment[],
): Promise<{ rows: TransferRow[]; changes: LevelChange[] }> {
  const sources = consignments.map((c) => ({ sku: c.sku, location: c.from }))
  const changes = await applyDeltas(
    tx,
    now,
    consignments.map((c) => ({ sku: c.sku, location: c.from, onHand: -c.quantity, reserved: 0 })),
    'available',
  )
  if (changes.length < new Set(sources.map((k) => `${k.sku}\u0000${k.location}`)).size) {
    const levels = await levelsOf(tx, sources)
    const short = consignments.flatMap((c) => {
      const level = levels.find((l) => l.sku === c.sku && l.location === c.from)
      const available = level ? availableOf(level) : 0
      return available < c.quantity
        ? [{ sku: c.sku, location: c.from, requested: c.quantity, available }]
        : []
    })
    throw insufficientStock(short)
  }
  const rows = await tx
    .insertInto('inventory.transfer')
    .values(
      consignments.map((c) => ({
        id: newId('trf'),
        sku: c.sku,
        from_location: c.from,
        to_location: c.to,
        quantity: c.quantity,
        status: 'in_transit' as const,
        reason: c.reason,
        reference: c.reference,
        reservation_id: c.reservationId,
        actor,
        created_at: now,
        received_at: null,
      })),
    )
    .returningAll()
    .execute()
  await appendLedger(
    tx,
    now,
    rows.map((r) => ({
      sku: r.sku,
      location: r.from_location,
      kind: 'transfer_out' as const,
      quantity: -r.quantity,
      reason: r.reason,
      actor,
      reference: r.id,
    })),
  )
  return { rows, changes }
}

/**
 * Books an in-transit transfer in at its destination (a `transfer_in` ledger entry). The
 * status change is guarded by the transitions table, so a transfer is received once even when
 * two clerks press the button together. Units sent for a reservation that is still active are
 * reserved for it again there (on-hand and reserved both rise, and the reservation gains a line);
 * a reservation released meanwhile leaves them on sale. Throws `not-found`, or
 * `illegal-transition` with `allowed`. Appends level crossings at the destination.
 */
export async function receiveTransfer(
  tx: InventoryTx,
  clock: Clock,
  actor: string,
  id: string,
): Promise<TransferView> {
  const now = clock.now()
  const row = await tx
    .updateTable('inventory.transfer')
    .set({ status: 'received', received_at: now })
    .where('id', '=', id)
    .where('status', 'in', sourcesOf(transferTransitions, 'received'))
    .returningAll()
    .executeTakeFirst()
  if (!row) {
    const current = await tx
      .selectFrom('inventory.transfer')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirst()
    if (!current) throw notFound('transfer', id)
    throw refusedTransition('transfer', transferTransitions, current.status, 'received')
  }
  const destination = { sku: row.sku, location: row.to_location }
  const held = row.reservation_id ? await holdAgain(tx, row) : false
  await ensureLevels(tx, now, [destination])
  const changes = await applyDeltas(
    tx,
    now,
    [{ ...destination, onHand: row.quantity, reserved: held ? row.quantity : 0 }],
    'floor',
  )
  await appendLedger(tx, now, [
    {
      ...destination,
      kind: 'transfer_in',
      quantity: row.quantity,
      reason: row.reason,
      actor,
      reference: row.id,
    },
  ])
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, null))
  return transferView(row)
}

/**
 * Adds a transfer's units to its reservation's line at the destination when the reservation is
 * still active, answering whether it did. The reservation row is locked first, as confirming and
 * releasing lock it, so neither can slip in between.
 */
async function holdAgain(tx: InventoryTx, row: TransferRow): Promise<boolean> {
  const reservation = await tx
    .selectFrom('inventory.reservation')
    .select('status')
    .where('id', '=', row.reservation_id!)
    .forUpdate()
    .executeTakeFirst()
  if (reservation?.status !== 'active') return false
  await sql`
    insert into inventory.reservation_line (reservation_id, sku, location, quantity)
    values (${row.reservation_id}, ${row.sku}, ${row.to_location}, ${row.quantity})
    on conflict (reservation_id, sku, location)
    do update set quantity = inventory.reservation_line.quantity + excluded.quantity`.execute(tx)
  return true
}

/**
 * A location's transfers, inbound (to receive) or outbound (to send), oldest first, optionally
 * in one state; keyset-paginated on the id.
 */
export async function listTransfers(
  tx: InventoryTx,
  query: TransferListQuery,
): Promise<Page<TransferView>> {
  let q = tx
    .selectFrom('inventory.transfer')
    .selectAll()
    .where(query.direction === 'in' ? 'to_location' : 'from_location', '=', query.location)
    .orderBy('id')
    .limit(query.limit + 1)
  if (query.status) q = q.where('status', '=', query.status)
  if (query.cursor) q = q.where('id', '>', decodeIdCursor(query.cursor))
  return toPage(await q.execute(), query.limit, (r) => [r.id], transferView)
}

/** The transfers carrying units for any of these reservations, oldest first. */
export async function transfersForReservations(
  tx: InventoryTx,
  reservationIds: readonly string[],
): Promise<TransferView[]> {
  if (reservationIds.length === 0) return []
  const rows = await tx
    .selectFrom('inventory.transfer')
    .selectAll()
    .where('reservation_id', 'in', reservationIds)
    .orderBy('id')
    .execute()
  return rows.map(transferView)
}

export async function getTransfer(tx: InventoryTx, id: string): Promise<TransferView> {
  const row = await tx
    .selectFrom('inventory.transfer')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('transfer', id)
  return transferView(row)
}
