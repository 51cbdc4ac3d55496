import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction, type Tx } from '../../kernel/db/index.js'
import type { DomainError } from '../../kernel/errors.js'
import type { PaymentRow, PaymentsTables } from './db.js'
import { paymentDeclined, providerUnavailable } from './errors.js'
import {
  ProviderUnavailable,
  type CardDetails,
  type PaymentProvider,
  type ProviderOutcome,
} from './port.js'
import { findPayment, paymentEvents, recordHistory, toView, transition } from './records.js'
import type { PaymentView } from './schema.js'
import { assertTransition, cardMustBeAuthorized, statesLeadingTo } from './states.js'

export type CardChoice = { card?: CardDetails | undefined; token?: string | undefined }

/**
 * A change that may need the provider: `begin` records intent in the database, `call` talks to
 * the provider (outside any transaction when run staged), `settle` records the outcome. A
 * `null` outcome means no provider is involved (cash, store credit).
 */
export type Operation<P> = {
  begin(tx: Tx<PaymentsTables>): Promise<{ done: PaymentView } | { plan: P }>
  call(plan: P): Promise<ProviderOutcome | null>
  settle(tx: Tx<PaymentsTables>, plan: P, outcome: ProviderOutcome | null): Promise<Settled>
}

/** A settled operation; `refusal` is thrown once what the refusal changed has been recorded. */
export type Settled = { view: PaymentView; refusal?: DomainError }

export const refused = (view: PaymentView, refusal: DomainError): Settled => ({ view, refusal })

/**
 * Runs an operation inside the caller's transaction (the provider call included). A refusal is
 * thrown, so the caller's transaction rolls back with it.
 */
export async function runInTransaction<P>(
  tx: Tx<PaymentsTables>,
  op: Operation<P>,
): Promise<PaymentView> {
  const begun = await op.begin(tx)
  if ('done' in begun) return begun.done
  const settled = await op.settle(tx, begun.plan, await op.call(begun.plan))
  if (settled.refusal) throw settled.refusal
  return settled.view
}

/** Runs an operation in two transactions with the provider call between them, holding no lock. */
export async function runStaged<P>(
  db: Kysely<PaymentsTables>,
  op: Operation<P>,
  after?: (tx: Tx<PaymentsTables>, view: PaymentView) => Promise<void>,
): Promise<PaymentView> {
  const begun = await inTransaction(db, (tx) => op.begin(tx))
  if ('done' in begun) return begun.done
  const outcome = await op.call(begun.plan)
  const settled = await inTransaction(db, async (tx) => {
    const result = await op.settle(tx, begun.plan, outcome)
    if (after) await after(tx, result.view)
    return result
  })
  // Thrown after the commit: the refusal itself (a failed capture, a released refund) is kept.
  if (settled.refusal) throw settled.refusal
  return settled.view
}

/**
 * Calls the provider for a card payment; other methods need no call, nor does a card payment of
 * nothing (recorded without a provider, see `recordPayment`).
 */
export async function callProvider(
  row: PaymentRow,
  call: () => Promise<ProviderOutcome>,
): Promise<ProviderOutcome | null> {
  if (row.method !== 'card' || row.provider === null) return null
  try {
    return await call()
  } catch (err) {
    if (err instanceof ProviderUnavailable) throw providerUnavailable(row.id, err)
    throw err
  }
}

export const money = (row: PaymentRow, amount = row.amount_minor) => ({
  amount,
  currency: row.currency,
})

export function declined(row: PaymentRow, outcome: Extract<ProviderOutcome, { ok: false }>) {
  return paymentDeclined(outcome.message, {
    code: outcome.code,
    declineCode: outcome.declineCode,
    paymentId: row.id,
  })
}

/** The refusal a failed payment carries, for callers that answer it as a problem. */
export function declineOf(view: PaymentView) {
  return paymentDeclined(`Payment ${view.id} was declined`, {
    code: view.failure?.code ?? 'declined',
    declineCode: view.failure?.declineCode ?? null,
    paymentId: view.id,
  })
}

/** Settles a card authorization; used by requests and by webhooks (whichever comes first wins). */
export async function settleAuthorization(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  row: PaymentRow,
  outcome: ProviderOutcome | null,
) {
  const ok = !outcome || outcome.ok
  const moved = ok
    ? await transition(
        tx,
        clock,
        row.id,
        ['pending'],
        'authorized',
        outcome ? { provider_payment_id: outcome.providerPaymentId } : {},
      )
    : await transition(tx, clock, row.id, ['pending'], 'failed', {
        provider_payment_id: outcome.providerPaymentId,
        failure_code: outcome.code,
        decline_code: outcome.declineCode,
      })
  if (moved)
    await recordHistory(
      tx,
      clock,
      moved,
      { kind: moved.status, amount: moved.amount_minor },
      ok ? paymentEvents.authorized : paymentEvents.failed,
    )
  return toView(tx, moved ?? (await findPayment(tx, row.id)))
}

export function authorizeOperation(
  clock: Clock,
  provider: PaymentProvider,
  row: PaymentRow,
  card: CardChoice,
): Operation<PaymentRow> {
  return {
    begin: async (tx) =>
      row.status === 'pending' && row.method === 'card'
        ? { plan: row }
        : { done: await toView(tx, row) },
    call: (plan) =>
      callProvider(plan, () =>
        provider.authorize({
          paymentId: plan.id,
          amount: money(plan),
          ...card,
          idempotencyKey: `${plan.id}:authorize`,
        }),
      ),
    settle: async (tx, plan, outcome) => ({
      view: await settleAuthorization(tx, clock, plan, outcome),
    }),
  }
}

/**
 * Capture takes the whole authorized amount (cash on delivery and pay in store are captured when
 * the courier or clerk marks them paid). Capturing a captured payment answers it unchanged, and
 * the provider call carries `<id>:capture`, so a retry never charges twice. An issuer refusing
 * at capture moves the payment to `failed` (event `payment.failed`) and is `payment-declined`.
 */
export function captureOperation(
  clock: Clock,
  provider: PaymentProvider,
  id: string,
): Operation<PaymentRow> {
  return {
    begin: async (tx) => {
      const row = await findPayment(tx, id)
      if (['captured', 'partially_refunded', 'refunded'].includes(row.status))
        return { done: await toView(tx, row) }
      assertTransition(row.status, 'captured')
      cardMustBeAuthorized(row.method, row.status, 'captured')
      return { plan: row }
    },
    call: (plan) =>
      callProvider(plan, () =>
        provider.capture({
          providerPaymentId: plan.provider_payment_id!,
          amount: money(plan),
          idempotencyKey: `${plan.id}:capture`,
        }),
      ),
    settle: async (tx, plan, outcome) => {
      if (outcome && !outcome.ok) {
        const failed = await transition(tx, clock, id, ['authorized'], 'failed', {
          failure_code: outcome.code,
          decline_code: outcome.declineCode,
        })
        if (failed)
          await recordHistory(
            tx,
            clock,
            failed,
            { kind: 'capture_failed', amount: failed.amount_minor },
            paymentEvents.failed,
          )
        return refused(
          await toView(tx, failed ?? (await findPayment(tx, id))),
          declined(plan, outcome),
        )
      }
      const moved = await transition(tx, clock, id, statesLeadingTo('captured'), 'captured')
      if (moved)
        await recordHistory(
          tx,
          clock,
          moved,
          { kind: 'captured', amount: moved.amount_minor },
          paymentEvents.captured,
        )
      return { view: await toView(tx, moved ?? (await findPayment(tx, id))) }
    },
  }
}
