import { crossModule, type Tx } from '../../kernel/db/index.js'
import { transfersForReservations, type TransferView } from '../inventory/index.js'
import type { FulfillmentLineRow, FulfillmentRow, FulfillmentTables } from './db.js'
import type { FulfillmentView } from './schema.js'
import { collecting } from './states.js'

type FulfillmentTx = Tx<FulfillmentTables>

/**
 * Views of many fulfilments with their lines: one more query whatever the count, and one for
 * the transfers making up collections when there are collections among them.
 */
export async function fulfillmentViews(
  tx: FulfillmentTx,
  rows: readonly FulfillmentRow[],
): Promise<FulfillmentView[]> {
  if (rows.length === 0) return []
  const lines = await tx
    .selectFrom('fulfillment.fulfillment_line')
    .selectAll()
    .where(
      'fulfillment_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute()
  const inbound = await inboundTransfers(tx, rows)
  return rows.map((r) => fulfillmentViewOf(r, lines, inbound))
}

/** The transfers sent to make up the collections among `rows` (none for parcels). */
export async function inboundTransfers(tx: FulfillmentTx, rows: readonly FulfillmentRow[]) {
  const reservations = rows.filter((r) => collecting(r.method)).map((r) => r.reservation_id)
  return transfersForReservations(crossModule(tx), [...new Set(reservations)])
}

/**
 * One fulfilment as the API shows it, from its row, lines and inbound transfers already in hand
 * (any order; those of other fulfilments are ignored).
 */
export function fulfillmentViewOf(
  r: FulfillmentRow,
  lines: readonly FulfillmentLineRow[],
  inbound: readonly TransferView[] = [],
): FulfillmentView {
  return {
    id: r.id,
    orderId: r.order_id,
    orderNumber: r.order_number,
    location: r.location,
    method: r.method,
    status: r.status,
    carrier: r.carrier,
    trackingNumber: r.tracking_number,
    lines: lines
      .filter((l) => l.fulfillment_id === r.id)
      // By code point, not by the database's collation, so both paths give one order.
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
      .map((l) => ({ sku: l.sku, quantity: l.quantity })),
    inbound: inbound
      .filter((t) => t.reservationId === r.reservation_id && t.to === r.location)
      .map((t) => ({
        transferId: t.id,
        from: t.from,
        sku: t.sku,
        quantity: t.quantity,
        status: t.status,
      })),
    readyAt: r.ready_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }
}
