import type { Insertable, Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { statement, writeAtCommit, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { decodeIdCursor, toPage, type Page } from '../../kernel/http/index.js'
import { newId } from '../../kernel/ids.js'
import type {
  FulfillmentLineTable,
  FulfillmentRow,
  FulfillmentTable,
  FulfillmentTables,
} from './db.js'
import type { FulfillmentListQuery, FulfillmentView } from './schema.js'
import type { FulfillmentMethod } from './states.js'
import { fulfillmentViewOf, fulfillmentViews } from './views.js'

type FulfillmentTx = Tx<FulfillmentTables>

const insertFulfillments = statement(
  (db: Kysely<FulfillmentTables>, p: { rows: Insertable<FulfillmentTable>[] }) =>
    db.insertInto('fulfillment.fulfillment').values(p.rows),
)

const insertLines = statement(
  (db: Kysely<FulfillmentTables>, p: { lines: Insertable<FulfillmentLineTable>[] }) =>
    db.insertInto('fulfillment.fulfillment_line').values(p.lines),
)

/** What placement knows about an order when it asks for its fulfilments. */
export type NewFulfillments = {
  orderId: string
  orderNumber: number
  customerId: string
  channel: string | null
  method: FulfillmentMethod
  reservationId: string
  payment: { id: string; method: string }
  /** The reserved lines, each at the location it was reserved at. */
  lines: readonly { sku: string; location: string; quantity: number }[]
}

/** What every new parcel starts with: allocated, not yet shipped, paid or ready. */
export function newParcel(now: Date) {
  return {
    status: 'allocated' as const,
    carrier: null,
    tracking_number: null,
    payment_due: null,
    ready_at: null,
    created_at: now,
    updated_at: now,
  }
}

/**
 * Creates one `allocated` fulfilment per location the order's lines were reserved at (two
 * locations: a split shipment of two parcels), in the placement's transaction, with two
 * inserts whatever the number of lines, sent with the transaction's last statement (see
 * `writeAtCommit`): the rows exist once it commits, not before. The unique (order, location) key
 * makes a second creation for the same order fail rather than duplicate parcels.
 */
export async function createFulfillments(
  tx: FulfillmentTx,
  clock: Clock,
  input: NewFulfillments,
): Promise<FulfillmentView[]> {
  const now = clock.now()
  const locations = [...new Set(input.lines.map((l) => l.location))].sort()
  const ids = new Map(locations.map((location) => [location, newId('ful')]))
  // A SKU reserved twice at one location (merged by inventory already) still sums to one line.
  const merged = new Map<string, { fulfillment_id: string; sku: string; quantity: number }>()
  for (const l of input.lines) {
    const key = `${l.location}\u0000${l.sku}`
    const line = merged.get(key) ?? {
      fulfillment_id: ids.get(l.location)!,
      sku: l.sku,
      quantity: 0,
    }
    line.quantity += l.quantity
    merged.set(key, line)
  }
  const lines = [...merged.values()]
  const rows: FulfillmentRow[] = locations.map((location) => ({
    id: ids.get(location)!,
    order_id: input.orderId,
    order_number: input.orderNumber,
    location,
    method: input.method,
    customer_id: input.customerId,
    channel: input.channel,
    reservation_id: input.reservationId,
    payment_id: input.payment.id,
    payment_method: input.payment.method,
    ...newParcel(now),
  }))
  await writeAtCommit(tx, `fulfillment:${input.orderId}`, [
    insertFulfillments.compile({ rows }),
    insertLines.compile({ lines }),
  ])
  return rows.map((r) => fulfillmentViewOf(r, lines))
}

/** The fulfilment row; `not-found` otherwise. */
export async function findFulfillment(tx: FulfillmentTx, id: string): Promise<FulfillmentRow> {
  const row = await tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('fulfillment', id)
  return row
}

/** One fulfilment as the API shows it; `not-found` otherwise. */
export async function getFulfillment(tx: FulfillmentTx, id: string): Promise<FulfillmentView> {
  const [view] = await fulfillmentViews(tx, [await findFulfillment(tx, id)])
  return view!
}

/** The fulfilments of each order, by order id (two queries whatever the count). */
export async function fulfillmentsOfOrders(
  tx: FulfillmentTx,
  orderIds: readonly string[],
): Promise<Map<string, FulfillmentView[]>> {
  const byOrder = new Map<string, FulfillmentView[]>(orderIds.map((id) => [id, []]))
  if (orderIds.length === 0) return byOrder
  const rows = await tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('order_id', 'in', orderIds)
    .orderBy('location')
    .execute()
  for (const view of await fulfillmentViews(tx, rows)) byOrder.get(view.orderId)?.push(view)
  return byOrder
}

/**
 * A location's fulfilments, oldest first (the order a clerk picks in), optionally in one
 * state; keyset-paginated on the id, which sorts by creation time.
 */
export async function listFulfillments(
  tx: FulfillmentTx,
  query: FulfillmentListQuery,
): Promise<Page<FulfillmentView>> {
  let q = tx
    .selectFrom('fulfillment.fulfillment')
    .selectAll()
    .where('location', '=', query.location)
    .orderBy('id')
    .limit(query.limit + 1)
  if (query.status) q = q.where('status', '=', query.status)
  if (query.cursor) {
    const after = decodeIdCursor(query.cursor)
    q = q.where('id', '>', after)
  }
  const page = toPage(
    await q.execute(),
    query.limit,
    (r) => [r.id],
    (r) => r,
  )
  return { data: await fulfillmentViews(tx, page.data), nextCursor: page.nextCursor }
}
