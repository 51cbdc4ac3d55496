import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables, TransferRow } from './db.js'
import { availableOf, crossingEvents } from './events.js'
import { assertKnown } from './references.js'
import type { TransferBody, TransferView } from './schema.js'
import { refusedTransition, sourcesOf, transferTransitions } from './states.js'
import { appendLedger, applyDeltas, ensureLevels, insufficientStock, levelsOf } from './stock.js'

type InventoryTx = Tx<InventoryTables>

export type TransferInput = Omit<TransferBody, 'reason'> & { reason?: string | undefined }

function toView(row: TransferRow): TransferView {
  return {
    id: row.id,
    sku: row.sku,
    from: row.from_location,
    to: row.to_location,
    quantity: row.quantity,
    status: row.status,
    reason: row.reason,
    reference: row.reference,
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
  const now = clock.now()
  const source = { sku: input.sku, location: input.from }
  const changes = await applyDeltas(
    tx,
    now,
    [{ ...source, onHand: -input.quantity, reserved: 0 }],
    'available',
  )
  if (changes.length === 0) {
    const [level] = await levelsOf(tx, [source])
    throw insufficientStock([
      { ...source, requested: input.quantity, available: level ? availableOf(level) : 0 },
    ])
  }
  const row = await tx
    .insertInto('inventory.transfer')
    .values({
      id: newId('trf'),
      sku: input.sku,
      from_location: input.from,
      to_location: input.to,
      quantity: input.quantity,
      status: 'in_transit',
      reason: input.reason ?? 'transfer',
      reference: input.reference ?? null,
      actor,
      created_at: now,
      received_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await appendLedger(tx, now, [
    {
      ...source,
      kind: 'transfer_out',
      quantity: -input.quantity,
      reason: row.reason,
      actor,
      reference: row.id,
    },
  ])
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, null))
  return toView(row)
}

/**
 * Books an in-transit transfer in at its destination (a `transfer_in` ledger entry). The
 * status change is guarded by the transitions table, so a transfer is received once even when
 * two clerks press the button together. Throws `not-found`, or `illegal-transition` with
 * `allowed`. Appends level crossings at the destination.
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
  await ensureLevels(tx, now, [destination])
  const changes = await applyDeltas(
    tx,
    now,
    [{ ...destination, onHand: row.quantity, reserved: 0 }],
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
  return toView(row)
}

export async function getTransfer(tx: InventoryTx, id: string): Promise<TransferView> {
  const row = await tx
    .selectFrom('inventory.transfer')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('transfer', id)
  return toView(row)
}
