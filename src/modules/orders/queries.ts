import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, notFound } from '../../kernel/errors.js'
import { decodeIdCursor, toPage, type Page } from '../../kernel/http/index.js'
import type { Currency } from '../../kernel/money.js'
import { findByIdentity, getCustomer } from '../customers/index.js'
import { fulfillmentsOfOrders, type FulfillmentView } from '../fulfillment/index.js'
import type { OrderEventRow, OrderLineRow, OrderRow, OrdersTables } from './db.js'
import type { OrderListQuery, OrderView } from './schema.js'

type OrdersTx = Tx<OrdersTables>

/** Views of orders with lines, timelines and fulfilments: four queries whatever the count. */
export async function orderViews(tx: OrdersTx, rows: readonly OrderRow[]): Promise<OrderView[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const [lines, events, fulfillments] = await Promise.all([
    tx
      .selectFrom('orders.order_line')
      .selectAll()
      .where('order_id', 'in', ids)
      .orderBy('seq')
      .execute(),
    tx
      .selectFrom('orders.order_event')
      .selectAll()
      .where('order_id', 'in', ids)
      .orderBy('id')
      .execute(),
    fulfillmentsOfOrders(crossModule(tx), ids),
  ])
  return rows.map((r) => orderViewOf(r, lines, events, fulfillments.get(r.id) ?? []))
}

/**
 * One order as the API shows it, from rows already in hand: the placement builds its answer
 * from what it has just written instead of reading it back.
 */
export function orderViewOf(
  r: OrderRow,
  lines: readonly OrderLineRow[],
  events: readonly OrderEventRow[],
  fulfillments: readonly FulfillmentView[],
): OrderView {
  const money = (amount: number) => ({ amount, currency: r.currency as Currency })
  return {
    id: r.id,
    number: r.number,
    status: r.status,
    channel: r.channel,
    touchpoint: r.touchpoint,
    store: r.store,
    staff: r.staff,
    customerId: r.customer_id,
    lines: lines
      .filter((l) => l.order_id === r.id)
      .sort((a, b) => a.seq - b.seq)
      .map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        unitPrice: money(l.unit_price_minor),
        discount: money(l.discount_minor),
        location: l.location,
      })),
    totals: {
      subtotal: r.subtotal_minor,
      discount: r.discount_minor,
      shipping: r.shipping_minor,
      total: r.total_minor,
      currency: r.currency,
    },
    fulfillment: {
      method: r.fulfillment_method,
      location: r.fulfillment_location,
      address: (r.address ?? null) as OrderView['fulfillment']['address'],
      vehicle: r.vehicle,
    },
    sourcing: (r.sourcing ?? null) as OrderView['sourcing'],
    payment: { id: r.payment_id, method: r.payment_method },
    fulfillments: [...fulfillments],
    coupon: r.coupon,
    cartId: r.cart_id,
    timeline: events
      .filter((e) => e.order_id === r.id)
      .sort((a, b) => a.id - b.id)
      .map((e) => ({
        status: e.status,
        kind: e.kind,
        at: e.at.toISOString(),
        detail: e.detail ?? null,
      })),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }
}

/** The order row; `not-found` otherwise. */
export async function findOrder(tx: OrdersTx, id: string): Promise<OrderRow> {
  const row = await tx
    .selectFrom('orders.order')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('order', id)
  return row
}

/** One order as the API shows it; `not-found` otherwise. */
export async function getOrder(tx: OrdersTx, id: string): Promise<OrderView> {
  const [view] = await orderViews(tx, [await findOrder(tx, id)])
  return view!
}

async function pageOfOrders(
  tx: OrdersTx,
  query: { cursor?: string | undefined; limit: number },
  filter: (q: ReturnType<typeof base>) => ReturnType<typeof base>,
): Promise<Page<OrderView>> {
  let q = filter(base(tx)).limit(query.limit + 1)
  if (query.cursor) {
    const after = decodeIdCursor(query.cursor)
    q = q.where('id', '<', after)
  }
  const rows = await q.execute()
  const page = toPage(
    rows,
    query.limit,
    (r) => [r.id],
    (r) => r,
  )
  return { data: await orderViews(tx, page.data), nextCursor: page.nextCursor }
}

const base = (tx: OrdersTx) => tx.selectFrom('orders.order').selectAll().orderBy('id', 'desc')

/** Orders newest first (ids sort by creation time), optionally of one channel or status. */
export function listOrders(tx: OrdersTx, query: OrderListQuery): Promise<Page<OrderView>> {
  return pageOfOrders(tx, query, (q) => {
    let f = q
    if (query.channel) f = f.where('channel', '=', query.channel)
    if (query.status) f = f.where('status', '=', query.status)
    return f
  })
}

/**
 * A customer's orders, newest first; `not-found` for an unknown customer. Orders placed under a
 * profile later merged into this one are included.
 */
export async function customerOrders(
  tx: OrdersTx,
  customerId: string,
  query: { cursor?: string | undefined; limit: number },
): Promise<Page<OrderView>> {
  const customer = await getCustomer(crossModule(tx), customerId)
  const ids = [...new Set([customerId, customer.id])]
  return pageOfOrders(tx, query, (q) => q.where('customer_id', 'in', ids))
}

/**
 * The customer-facing tracker: the order with `number` when `contact` (an email or a phone,
 * normalised as the customers module stores them) belongs to the order's customer. Any
 * mismatch is the same `not-found` as a wrong number, so the answer never says which part was
 * wrong. A contact that is neither an email nor a phone is `validation-failed` at
 * `query.contact`.
 */
export async function trackOrder(
  tx: OrdersTx,
  number: number,
  contact: string,
): Promise<OrderView> {
  const missing = () =>
    new DomainError('not-found', `No order ${number} for that contact`, { resource: 'order' })
  const kind = contact.includes('@') ? 'email' : 'phone'
  const owner = await findByIdentity(crossModule(tx), kind, contact, { path: 'query.contact' })
  const row = await tx
    .selectFrom('orders.order')
    .selectAll()
    .where('number', '=', number)
    .executeTakeFirst()
  if (!owner || !row) throw missing()
  if (row.customer_id !== owner.id) {
    const placedBy = await getCustomer(crossModule(tx), row.customer_id)
    if (placedBy.id !== owner.id) throw missing()
  }
  const [view] = await orderViews(tx, [row])
  return view!
}
