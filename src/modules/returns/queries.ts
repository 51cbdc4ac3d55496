import { notFound } from '../../kernel/errors.js'
import { decodeIdCursor, toPage, type Page } from '../../kernel/http/index.js'
import type { Currency } from '../../kernel/money.js'
import type { Tx } from '../../kernel/db/index.js'
import type { ReturnRow, ReturnsTables } from './db.js'
import type { ReturnListQuery, ReturnView } from './schema.js'

type ReturnsTx = Tx<ReturnsTables>

/** Views of returns with their lines: two queries whatever the count. */
export async function returnViews(
  tx: ReturnsTx,
  rows: readonly ReturnRow[],
): Promise<ReturnView[]> {
  if (rows.length === 0) return []
  const lines = await tx
    .selectFrom('returns.return_line')
    .selectAll()
    .where(
      'return_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('return_id')
    .orderBy('seq')
    .execute()
  return rows.map((r) => {
    const money = (amount: number) => ({ amount, currency: r.currency as Currency })
    return {
      id: r.id,
      number: r.number,
      orderId: r.order_id,
      orderNumber: r.order_number,
      customerId: r.customer_id,
      channel: r.channel,
      touchpoint: r.touchpoint,
      store: r.store,
      staff: r.staff,
      location: r.location,
      byPost: r.by_post,
      status: r.received_at ? ('received' as const) : ('awaiting_goods' as const),
      receivedAt: r.received_at?.toISOString() ?? null,
      lines: lines
        .filter((l) => l.return_id === r.id)
        .map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          reason: l.reason,
          condition: l.condition,
          disposition: l.disposition,
          location: l.location,
          value: money(l.refund_minor),
        })),
      value: money(r.value_minor),
      refund: {
        amount: money(r.refund_minor),
        method: r.refund_method,
        status: r.refund_status,
        paymentId: r.refund_payment_id,
        storeCreditCode: r.store_credit_code,
        refundedAt: r.refunded_at?.toISOString() ?? null,
      },
      exchange: r.exchange_order_id
        ? {
            orderId: r.exchange_order_id,
            applied: money(r.exchange_applied_minor),
            storeCreditCode: r.exchange_credit_code!,
            extraPaymentId: r.extra_payment_id,
          }
        : null,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }
  })
}

/** The return row; `not-found` otherwise. */
export async function findReturn(tx: ReturnsTx, id: string): Promise<ReturnRow> {
  const row = await tx
    .selectFrom('returns.return')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('return', id)
  return row
}

/** One return as the API shows it; `not-found` otherwise. */
export async function getReturn(tx: ReturnsTx, id: string): Promise<ReturnView> {
  const [view] = await returnViews(tx, [await findReturn(tx, id)])
  return view!
}

/**
 * Returns newest first (ids sort by creation time), of one order, one customer, one receiving
 * location or one status when asked; keyset-paginated on the id.
 */
export async function listReturns(
  tx: ReturnsTx,
  query: ReturnListQuery & { orderId?: string | undefined },
): Promise<Page<ReturnView>> {
  let q = tx.selectFrom('returns.return').selectAll().orderBy('id', 'desc').limit(query.limit + 1)
  if (query.orderId) q = q.where('order_id', '=', query.orderId)
  if (query.customerId) q = q.where('customer_id', '=', query.customerId)
  if (query.location) q = q.where('location', '=', query.location)
  if (query.status) q = q.where('received_at', query.status === 'received' ? 'is not' : 'is', null)
  if (query.cursor) {
    const after = decodeIdCursor(query.cursor)
    q = q.where('id', '<', after)
  }
  const page = toPage(
    await q.execute(),
    query.limit,
    (r) => [r.id],
    (r) => r,
  )
  return { data: await returnViews(tx, page.data), nextCursor: page.nextCursor }
}
