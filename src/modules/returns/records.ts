import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import type { ReturnRow, ReturnsTables } from './db.js'
import { received } from './events.js'
import { getReturn, returnViews } from './queries.js'
import { markRefunded, type RefundOutcome } from './refunds.js'
import type { Admission, ReturnOrigin } from './returns.js'
import type { ReturnView } from './schema.js'

type ReturnsTx = Tx<ReturnsTables>

export type ExchangeRecord = {
  orderId: string
  applied: number
  creditCode: string
  extraPaymentId: string | null
}

/** Where a return's money goes, how much, and where the customer asked for it. */
export type RecordedRefund = RefundOutcome & {
  amount: number
  wanted: 'original' | 'store_credit'
}

/**
 * Writes an admitted return's row and lines with where its refund went; a by-post return's
 * (refund `awaiting_goods`) is not received yet.
 */
export async function insertReturn(
  tx: ReturnsTx,
  clock: Clock,
  origin: ReturnOrigin,
  admission: Admission,
  refund: RecordedRefund,
  exchange: ExchangeRecord | null = null,
): Promise<ReturnRow> {
  const now = clock.now()
  const awaiting = refund.status === 'awaiting_goods'
  const row = await tx
    .insertInto('returns.return')
    .values({
      id: admission.id,
      number: admission.number,
      order_id: admission.order.id,
      order_number: admission.order.number,
      customer_id: admission.order.customerId,
      channel: origin.channel,
      touchpoint: origin.touchpoint,
      store: origin.store,
      staff: origin.staff,
      location: admission.location,
      by_post: admission.byPost,
      currency: admission.currency,
      value_minor: admission.value,
      refund_minor: refund.amount,
      refund_method: refund.method,
      // Settled below with its event, so the row and `return.refunded` agree.
      refund_status: awaiting ? 'awaiting_goods' : 'pending',
      refund_wanted: refund.wanted,
      received_at: awaiting ? null : now,
      refund_payment_id: refund.paymentId,
      store_credit_code: refund.storeCreditCode,
      exchange_order_id: exchange?.orderId ?? null,
      exchange_applied_minor: exchange?.applied ?? 0,
      exchange_credit_code: exchange?.creditCode ?? null,
      extra_payment_id: exchange?.extraPaymentId ?? null,
      refunded_at: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await tx
    .insertInto('returns.return_line')
    .values(
      admission.lines.map((l, seq) => ({
        return_id: admission.id,
        seq,
        sku: l.sku,
        quantity: l.quantity,
        reason: l.reason,
        condition: l.condition,
        disposition: l.disposition,
        location: l.location,
        refund_minor: l.value,
      })),
    )
    .execute()
  return row
}

/**
 * Writes the return and its events: `return.received` (`return.requested` by post), then
 * `return.refunded` when the refund needed no provider. Answers the return as the API shows it.
 */
export async function recordReturn(
  tx: ReturnsTx,
  clock: Clock,
  origin: ReturnOrigin,
  admission: Admission,
  refund: RecordedRefund,
  exchange: ExchangeRecord | null = null,
): Promise<ReturnView> {
  const row = await insertReturn(tx, clock, origin, admission, refund, exchange)
  const [view] = await returnViews(tx, [row])
  await received(tx, clock, view!)
  if (refund.status !== 'refunded') return view!
  await markRefunded(tx, clock, row)
  return getReturn(tx, row.id)
}
