import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import type { Currency } from '../../kernel/money.js'
import type { OrderView } from '../orders/index.js'
import {
  capturePayment,
  getPayment,
  issueStoredValue,
  refundOperation,
  refundPayment,
  runStaged,
  type PaymentProvider,
} from '../payments/index.js'
import type { RefundMethod, RefundStatus, ReturnRow, ReturnsTables } from './db.js'
import { refunded } from './events.js'

type ReturnsTx = Tx<ReturnsTables>

export type RefundOutcome = {
  method: RefundMethod
  status: RefundStatus
  paymentId: string | null
  storeCreditCode: string | null
}

export type RefundRequest = {
  order: OrderView
  amount: number
  currency: Currency
  byPost: boolean
  wanted: 'original' | 'store_credit'
  channel: string | null
  /** The return's id, which also names its card refund with the payments module. */
  returnId: string
}

const refundable = new Set(['captured', 'partially_refunded'])

/** A by-post return's refund until its parcel is received: decided then (`receiveReturn`). */
export const awaitingGoods: RefundOutcome = {
  method: 'none',
  status: 'awaiting_goods',
  paymentId: null,
  storeCreditCode: null,
}

/** Opens a store credit account for the customer holding `amount`; answers its code. */
export async function issueStoreCredit(
  tx: ReturnsTx,
  clock: Clock,
  customerId: string,
  amount: { amount: number; currency: Currency },
  channel: string | null,
) {
  const account = await issueStoredValue(
    crossModule(tx),
    clock,
    { kind: 'store_credit', amount, customerId },
    channel,
  )
  return account.code
}

/**
 * Decides where a return's money goes and, when no provider is involved, moves it in the
 * caller's transaction. The original payment is refunded when it was taken and still covers
 * the amount: a card refund is requested here (the amount reserved on the payment, named by
 * the return's id, so nothing else can refund it meanwhile) and made by the provider after
 * commit (`pending`, see `completeCardRefund`); a gift card or store credit payment is
 * credited back; cash and pay in store are paid out at the counter (recorded as the payment's
 * refund), which a by-post return has not. Otherwise, or when store credit is asked for, a new
 * store credit account holds it.
 */
export async function routeRefund(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  request: RefundRequest,
): Promise<RefundOutcome> {
  const { order, amount, currency } = request
  const none = { paymentId: null, storeCreditCode: null }
  if (amount === 0) return { ...none, method: 'none', status: 'refunded' }
  const toCredit = async (): Promise<RefundOutcome> => ({
    ...none,
    method: 'store_credit',
    status: 'refunded',
    storeCreditCode: await issueStoreCredit(
      tx,
      clock,
      order.customerId,
      { amount, currency },
      request.channel,
    ),
  })
  if (request.wanted === 'store_credit') return toCredit()
  let payment = await getPayment(crossModule(tx), order.payment.id)
  // Spent from the account when the order was placed, a store credit payment stays authorized
  // after handover; capturing it (no provider involved) lets it be refunded like any other.
  if (payment.method === 'store_credit' && payment.status === 'authorized')
    payment = await capturePayment(crossModule(tx), clock, provider, payment.id)
  const covers =
    refundable.has(payment.status) &&
    payment.amount.currency === currency &&
    payment.amount.amount - payment.refunded.amount >= amount
  if (!covers) return toCredit()
  if (payment.method === 'card') {
    const { returnId } = request
    await refundOperation(clock, provider, payment.id, amount, undefined, returnId).begin(
      crossModule(tx),
    )
    return { ...none, method: 'card', status: 'pending', paymentId: payment.id }
  }
  if (payment.method === 'store_credit') {
    await refundPayment(crossModule(tx), clock, provider, payment.id, amount)
    return {
      method: 'stored_value',
      status: 'refunded',
      paymentId: payment.id,
      storeCreditCode: payment.storedValueCode,
    }
  }
  if (request.byPost) return toCredit()
  await refundPayment(crossModule(tx), clock, provider, payment.id, amount)
  return { ...none, method: 'cash', status: 'refunded', paymentId: payment.id }
}

/**
 * Marks a return's refund done (from `pending` or `refunding`, a guarded UPDATE: only one
 * settler wins) and appends `return.refunded`. Answers whether this call settled it.
 */
export async function markRefunded(
  tx: ReturnsTx,
  clock: Clock,
  row: ReturnRow,
  change: { method?: RefundMethod; storeCreditCode?: string } = {},
) {
  const now = clock.now()
  const moved = await tx
    .updateTable('returns.return')
    .set({
      refund_status: 'refunded',
      refunded_at: now,
      updated_at: now,
      ...(change.method && { refund_method: change.method }),
      ...(change.storeCreditCode && { store_credit_code: change.storeCreditCode }),
      // Paid in store credit instead: the original payment was not refunded after all.
      ...(change.method === 'store_credit' && { refund_payment_id: null }),
    })
    .where('id', '=', row.id)
    .where('refund_status', 'in', ['pending', 'refunding'])
    .returningAll()
    .executeTakeFirst()
  if (!moved) return false
  await refunded(tx, clock, {
    returnId: moved.id,
    number: moved.number,
    orderId: moved.order_id,
    customerId: moved.customer_id,
    channel: moved.channel,
    amount: { amount: moved.refund_minor, currency: moved.currency },
    method: moved.refund_method,
    storeCreditCode: moved.store_credit_code,
  })
  return true
}

/**
 * How long a claimed card refund is left to the process that claimed it. Past it, the process
 * is taken to have stopped, and a retry (the periodic task, a replayed request) takes it over.
 */
export const refundLeaseMs = 5 * 60_000

/**
 * Claims a return's card refund for this process: `pending`, or `refunding` claimed longer ago
 * than the lease. A guarded UPDATE, so concurrent retries never both get it.
 */
async function claimRefund(db: Kysely<any>, clock: Clock, id: string) {
  const now = clock.now()
  const expired = new Date(now.getTime() - refundLeaseMs)
  return inTransaction(db as Kysely<ReturnsTables>, (tx) =>
    tx
      .updateTable('returns.return')
      .set({ refund_status: 'refunding', updated_at: now })
      .where('id', '=', id)
      .where('refund_method', '=', 'card')
      .where((eb) =>
        eb.or([
          eb('refund_status', '=', 'pending'),
          eb.and([eb('refund_status', '=', 'refunding'), eb('updated_at', '<', expired)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst(),
  )
}

/** Gives a claimed refund back to the retries, unless another process took it over meanwhile. */
async function releaseClaim(db: Kysely<any>, clock: Clock, claimed: ReturnRow) {
  await inTransaction(db as Kysely<ReturnsTables>, (tx) =>
    tx
      .updateTable('returns.return')
      .set({ refund_status: 'pending', updated_at: clock.now() })
      .where('id', '=', claimed.id)
      .where('refund_status', '=', 'refunding')
      .where('updated_at', '=', claimed.updated_at)
      .execute(),
  )
}

/** What one attempt at a card refund came to. */
export type CardRefundAttempt =
  | 'refunded'
  | 'store_credit'
  | 'unavailable'
  | 'not-due'
  | { blocked: DomainError }

/**
 * Refunds a return's card payment with the provider, holding no lock, after the return has
 * committed; the return's transaction already requested the refund from the payments module
 * under the return's id (`routeRefund`). One caller claims it (`claimRefund`); every attempt,
 * first or retry, resumes that same request, so the provider sees the same idempotency key and
 * never refunds twice, whether the earlier attempt stopped before, during or after its call.
 * The payment's outcome and the return's (`refunded`, with `return.refunded`; or, when the
 * provider refuses, a store credit for the customer) commit together, under the return row's
 * lock, so a second settler changes nothing. An unreachable provider puts the refund back to
 * `pending` for `settleDueRefunds` or a replayed request.
 */
export async function completeCardRefund(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  returnId: string,
): Promise<CardRefundAttempt> {
  const claimed = await claimRefund(db, clock, returnId)
  if (!claimed) return 'not-due'
  const paymentId = claimed.refund_payment_id!
  const op = refundOperation(clock, provider, paymentId, claimed.refund_minor, undefined, claimed.id)
  let outcome = 'not-due' as CardRefundAttempt
  try {
    await runStaged(db, {
      ...op,
      settle: async (tx, plan, answer) => {
        const open = await crossModule(tx)
          .selectFrom('returns.return')
          .select('id')
          .where('id', '=', claimed.id)
          .where('refund_status', '<>', 'refunded')
          .forUpdate()
          .executeTakeFirst()
        if (!open) return { view: await getPayment(crossModule(tx), paymentId) }
        const settled = await op.settle(tx, plan, answer)
        if (!settled.refusal) {
          await markRefunded(crossModule(tx), clock, claimed)
          outcome = 'refunded'
          return settled
        }
        const code = await issueStoreCredit(
          crossModule(tx),
          clock,
          claimed.customer_id,
          { amount: claimed.refund_minor, currency: claimed.currency },
          claimed.channel,
        )
        await markRefunded(crossModule(tx), clock, claimed, {
          method: 'store_credit',
          storeCreditCode: code,
        })
        outcome = 'store_credit'
        return settled
      },
    })
    return outcome
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    // The refusal was recorded with the store credit that replaced it.
    if (outcome === 'store_credit') return outcome
    await releaseClaim(db, clock, claimed)
    if (err.kind === 'payment-provider-unavailable') return 'unavailable'
    // The payment refused the request itself; paying anyway could pay out twice, so it waits.
    return { blocked: err }
  }
}

/**
 * Retries the card refunds that are due: left `pending` (a provider that could not be reached)
 * or `refunding` past the lease (a process that stopped half-way). Safe in several processes at
 * once (`completeCardRefund` claims each). Answers how many were settled and how many still wait.
 */
export async function settleDueRefunds(
  db: Kysely<any>,
  clock: Clock,
  provider: PaymentProvider,
  options: { limit?: number; onBlocked?: (returnId: string, err: DomainError) => void } = {},
) {
  const expired = new Date(clock.now().getTime() - refundLeaseMs)
  const due = await inTransaction(db as Kysely<ReturnsTables>, (tx) =>
    tx
      .selectFrom('returns.return')
      .select('id')
      .where('refund_status', '<>', 'refunded')
      .where('refund_method', '=', 'card')
      .where((eb) =>
        eb.or([
          eb('refund_status', '=', 'pending'),
          eb('updated_at', '<', expired),
        ]),
      )
      .orderBy('updated_at')
      .limit(options.limit ?? 50)
      .execute(),
  )
  let settled = 0
  let waiting = 0
  for (const { id } of due) {
    const attempt = await completeCardRefund(db, clock, provider, id)
    if (attempt === 'refunded' || attempt === 'store_credit') settled++
    else if (attempt !== 'not-due') waiting++
    if (typeof attempt === 'object') options.onBlocked?.(id, attempt.blocked)
  }
  return { settled, waiting }
}
