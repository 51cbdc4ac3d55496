import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { PaymentRow, PaymentsTables, PaymentTable } from './db.js'
import type { PaymentView } from './schema.js'
import type { PaymentStatus } from './states.js'

/** Outbox event names this module publishes (payload version 1: {paymentId, reference, method, amount, status}). */
export const paymentEvents = {
  authorized: 'payment.authorized',
  captured: 'payment.captured',
  refunded: 'payment.refunded',
  voided: 'payment.voided',
  failed: 'payment.failed',
} as const

export async function findPayment(tx: Tx<PaymentsTables>, id: string): Promise<PaymentRow> {
  const row = await tx
    .selectFrom('payments.payment')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('payment', id)
  return row
}

/** A payment with its history, as the API shows it. `not-found` for an unknown id. */
export async function getPayment(tx: Tx<PaymentsTables>, id: string): Promise<PaymentView> {
  return toView(tx, await findPayment(tx, id))
}

export async function toView(tx: Tx<PaymentsTables>, row: PaymentRow): Promise<PaymentView> {
  const history = await tx
    .selectFrom('payments.payment_event')
    .select(['kind', 'status', 'amount_minor', 'at'])
    .where('payment_id', '=', row.id)
    .orderBy('id')
    .execute()
  return {
    id: row.id,
    reference: row.reference,
    method: row.method,
    amount: { amount: row.amount_minor, currency: row.currency },
    refunded: { amount: row.refunded_minor, currency: row.currency },
    status: row.status,
    provider: row.provider,
    providerPaymentId: row.provider_payment_id,
    cardLast4: row.card_last4,
    storedValueCode: row.stored_value_code,
    failure: row.failure_code ? { code: row.failure_code, declineCode: row.decline_code } : null,
    customerId: row.customer_id,
    channel: row.channel,
    history: history.map((h) => ({
      kind: h.kind,
      status: h.status,
      amount: h.amount_minor,
      at: h.at.toISOString(),
    })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export type HistoryEntry = { kind: string; amount: number; detail?: Record<string, unknown> }

/** Appends to the append-only history and, for a published fact, to the outbox. */
export async function recordHistory(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  row: PaymentRow,
  entry: HistoryEntry,
  event?: (typeof paymentEvents)[keyof typeof paymentEvents],
) {
  await tx
    .insertInto('payments.payment_event')
    .values({
      payment_id: row.id,
      kind: entry.kind,
      status: row.status,
      amount_minor: entry.amount,
      detail: JSON.stringify(entry.detail ?? {}),
      at: clock.now(),
    })
    .execute()
  if (event) await announce(tx, clock, row, entry.amount, event)
}

/** Publishes a payment fact (`payment.authorized`, …) for `amount` through the outbox. */
export async function announce(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  row: PaymentRow,
  amount: number,
  event: (typeof paymentEvents)[keyof typeof paymentEvents],
) {
  await appendEvents(crossModule(tx), clock, [
    {
      name: event,
      version: 1,
      channel: row.channel,
      payload: {
        paymentId: row.id,
        reference: row.reference,
        method: row.method,
        status: row.status,
        amount: { amount, currency: row.currency },
      },
    },
  ])
}

/**
 * Moves a payment to `to` only if it is still in one of `from`: the state rule is the UPDATE's
 * WHERE, so a webhook and a request settling the same payment at once cannot both apply. Returns
 * the new row, or undefined when the payment had already moved on.
 */
export async function transition(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  id: string,
  from: readonly PaymentStatus[],
  to: PaymentStatus,
  set: Partial<Omit<PaymentTable, 'id' | 'status' | 'refunded_minor'>> = {},
): Promise<PaymentRow | undefined> {
  return tx
    .updateTable('payments.payment')
    .set({ ...set, status: to, updated_at: clock.now() })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst()
}

/** Moves `refunded_minor` by `delta` within 0…amount, on a refundable payment; one statement. */
export async function shiftRefunded(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  id: string,
  delta: number,
) {
  return tx
    .updateTable('payments.payment')
    .set({
      refunded_minor: sql`refunded_minor + ${delta}`,
      status: sql`case when refunded_minor + ${delta} = amount_minor then 'refunded'
                  when refunded_minor + ${delta} > 0 then 'partially_refunded' else 'captured' end`,
      updated_at: clock.now(),
    })
    .where('id', '=', id)
    .where('status', 'in', ['captured', 'partially_refunded', 'refunded'])
    .where(sql<boolean>`refunded_minor + ${delta} between 0 and amount_minor`)
    .returningAll()
    .executeTakeFirst()
}
