import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import {
  captureOperation,
  getPayment,
  runStaged,
  voidOperation,
  type PaymentProvider,
} from '../payments/index.js'
import type { FulfillmentTables } from './db.js'
import { findFulfillment } from './fulfillments.js'

/**
 * Makes the provider call a committed transition left due, holding no lock: a capture (the
 * provider key `<paymentId>:capture`, so a retry or a second parcel of the same order never
 * charges twice) or a void of whatever is still held. The due mark is cleared once the payment
 * has answered, including a refusal, which the payment keeps (`payment.failed`); a provider that
 * cannot be reached leaves it for `settleDuePayments` to retry. Never throws for a refusal:
 * the goods have left whatever the card says.
 */
export async function settleFulfillmentPayment(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  id: string,
): Promise<void> {
  const row = await inTransaction(db as Kysely<FulfillmentTables>, (tx) => findFulfillment(tx, id))
  if (!row.payment_due) return
  try {
    if (row.payment_due === 'capture') {
      await runStaged(db, captureOperation(clock, provider, row.payment_id))
    } else {
      const payment = await inTransaction(db, (tx) => getPayment(crossModule(tx), row.payment_id))
      const held =
        payment.status === 'authorized' ||
        (payment.status === 'pending' && payment.method !== 'card')
      if (held) await runStaged(db, voidOperation(clock, provider, row.payment_id))
    }
  } catch (err) {
    if (!(err instanceof DomainError) || err.kind === 'payment-provider-unavailable') throw err
  }
  await inTransaction(db as Kysely<FulfillmentTables>, (tx) =>
    tx
      .updateTable('fulfillment.fulfillment')
      .set({ payment_due: null })
      .where('id', '=', id)
      .where('payment_due', '=', row.payment_due)
      .execute(),
  )
}

/**
 * Retries the provider calls transitions left due (a provider that was down, a process that
 * stopped between commit and call). Each call is idempotent, so two processes retrying the same
 * row charge nothing twice. Answers how many were settled.
 */
export async function settleDuePayments(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  limit = 50,
): Promise<number> {
  const due = await inTransaction(db as Kysely<FulfillmentTables>, (tx) =>
    tx
      .selectFrom('fulfillment.fulfillment')
      .select('id')
      .where('payment_due', 'is not', null)
      .orderBy('id')
      .limit(limit)
      .execute(),
  )
  let settled = 0
  for (const { id } of due) {
    try {
      await settleFulfillmentPayment(db, clock, provider, id)
      settled++
    } catch (err) {
      // The provider is still away: the row stays due for the next run.
      if (!(err instanceof DomainError)) throw err
    }
  }
  return settled
}
