import type { Tx } from '../../kernel/db/index.js'
import type { FulfillmentLineRow, FulfillmentRow, FulfillmentTables } from './db.js'
import type { FulfillmentView } from './schema.js'

/** Views of many fulfilments with their lines: one more query whatever the count. */
export async function fulfillmentViews(
  tx: Tx<FulfillmentTables>,
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
  return rows.map((r) => fulfillmentViewOf(r, lines))
}

/** One fulfilment as the API shows it, from its row and lines already in hand (any order). */
export function fulfillmentViewOf(r: FulfillmentRow, lines: readonly FulfillmentLineRow[]): FulfillmentView {
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
    readyAt: r.ready_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }
}
