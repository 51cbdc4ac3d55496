import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { illegalTransition, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { PaymentRow, PaymentsTables } from './db.js'
import { callProvider, declined, money, refused, type Operation } from './operations.js'
import type { PaymentProvider } from './port.js'
import {
  findPayment,
  paymentEvents,
  recordHistory,
  shiftRefunded,
  toView,
  transition,
} from './records.js'
import { assertTransition, cardMustBeAuthorized, statesLeadingTo } from './states.js'
import { creditStoredValue, findStoredValue } from './stored-value.js'

type RefundPlan = { row: PaymentRow; refundId: string; amount: number; toAccount: string | null }

/** The latest history entry of a refund: requested (unsettled), refunded or refund_failed. */
async function refundAttempt(tx: Tx<PaymentsTables>, id: string, refundId: string) {
  return tx
    .selectFrom('payments.payment_event')
    .select(['kind', 'amount_minor', 'detail'])
    .where('payment_id', '=', id)
    .where(sql<string>`detail->>'refundId'`, '=', refundId)
    .orderBy('id', 'desc')
    .executeTakeFirst()
}

/**
 * Refunds `amount` (default: what is left). The amount is reserved first by one guarded UPDATE
 * (`refunded + amount <= amount`), so concurrent refunds can never exceed the payment; the
 * provider call carries `<id>:refund:<refundId>`; a refusal releases the reservation. A store
 * credit payment goes back to its account; with `storeCredit`, any payment is refunded to that
 * gift card or store credit account instead of its method (no provider call; the account's
 * currency must match, checked before anything is reserved). Appends `payment.refunded`.
 *
 * With `refundId` the caller names the refund, so a caller that stopped half-way can finish it:
 * when a refund of that id was requested and not settled, `begin` resumes it (nothing reserved
 * again, the same provider key), and one already settled is answered as it is. The caller makes
 * sure one settle runs per refund id.
 */
export function refundOperation(
  clock: Clock,
  provider: PaymentProvider,
  id: string,
  requested?: number,
  storeCredit?: string,
  refundId?: string,
): Operation<RefundPlan> {
  return {
    begin: async (tx) => {
      const current = await findPayment(tx, id)
      const earlier = refundId ? await refundAttempt(tx, id, refundId) : undefined
      if (earlier && earlier.kind !== 'refund_requested') return { done: await toView(tx, current) }
      if (earlier) {
        const detail = earlier.detail as { storeCredit?: string }
        return {
          plan: {
            row: current,
            refundId: refundId!,
            amount: Number(earlier.amount_minor),
            toAccount: detail.storeCredit ?? null,
          },
        }
      }
      if (!['captured', 'partially_refunded'].includes(current.status)) {
        throw illegalTransition('payment', current.status, 'refunded', [])
      }
      const toAccount =
        storeCredit ?? (current.method === 'store_credit' ? current.stored_value_code : null)
      if (storeCredit) {
        const account = await findStoredValue(tx, storeCredit)
        if (account.currency !== current.currency) {
          throw validationFailed([
            { path: 'storeCredit', message: `the account holds ${account.currency}` },
          ])
        }
      }
      const amount = requested ?? current.amount_minor - current.refunded_minor
      const row = await shiftRefunded(tx, clock, id, amount)
      if (!row) {
        throw validationFailed([
          {
            path: 'amount',
            message: `at most ${current.amount_minor - current.refunded_minor} is left to refund`,
          },
        ])
      }
      const named = refundId ?? newId('rfd')
      await recordHistory(tx, clock, row, {
        kind: 'refund_requested',
        amount,
        detail: { refundId: named, ...(toAccount && { storeCredit: toAccount }) },
      })
      return { plan: { row, refundId: named, amount, toAccount } }
    },
    call: async (plan) =>
      plan.toAccount
        ? null
        : callProvider(plan.row, () =>
            provider.refund({
              providerPaymentId: plan.row.provider_payment_id!,
              amount: money(plan.row, plan.amount),
              idempotencyKey: `${id}:refund:${plan.refundId}`,
            }),
          ),
    settle: async (tx, plan, outcome) => {
      if (outcome && !outcome.ok) {
        const released = await shiftRefunded(tx, clock, id, -plan.amount)
        if (released)
          await recordHistory(tx, clock, released, {
            kind: 'refund_failed',
            amount: plan.amount,
            detail: { refundId: plan.refundId },
          })
        return refused(
          await toView(tx, released ?? (await findPayment(tx, id))),
          declined(plan.row, outcome),
        )
      }
      if (plan.toAccount) {
        await creditStoredValue(tx, clock, plan.toAccount, money(plan.row, plan.amount), {
          reason: 'refund',
          reference: id,
        })
      }
      const row = await findPayment(tx, id)
      await recordHistory(
        tx,
        clock,
        row,
        {
          kind: 'refunded',
          amount: plan.amount,
          detail: { refundId: plan.refundId, providerRefundId: outcome?.providerRefundId ?? null },
        },
        paymentEvents.refunded,
      )
      return { view: await toView(tx, row) }
    },
  }
}

/** Voids an authorization: the card hold is cancelled, a store credit hold goes back to its account. */
export function voidOperation(
  clock: Clock,
  provider: PaymentProvider,
  id: string,
): Operation<PaymentRow> {
  return {
    begin: async (tx) => {
      const row = await findPayment(tx, id)
      if (row.status === 'voided') return { done: await toView(tx, row) }
      assertTransition(row.status, 'voided')
      cardMustBeAuthorized(row.method, row.status, 'voided')
      return { plan: row }
    },
    call: (plan) =>
      callProvider(plan, () =>
        provider.void({
          providerPaymentId: plan.provider_payment_id!,
          idempotencyKey: `${id}:void`,
        }),
      ),
    settle: async (tx, plan, outcome) => {
      if (outcome && !outcome.ok) return refused(await toView(tx, plan), declined(plan, outcome))
      const moved = await transition(tx, clock, id, statesLeadingTo('voided'), 'voided')
      if (moved) {
        if (moved.method === 'store_credit' && moved.stored_value_code) {
          await creditStoredValue(tx, clock, moved.stored_value_code, money(moved), {
            reason: 'release',
            reference: id,
          })
        }
        await recordHistory(
          tx,
          clock,
          moved,
          { kind: 'voided', amount: moved.amount_minor },
          paymentEvents.voided,
        )
      }
      return { view: await toView(tx, moved ?? (await findPayment(tx, id))) }
    },
  }
}
