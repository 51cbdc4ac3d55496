import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import type { PaymentsTables } from './db.js'
import { settleAuthorization } from './operations.js'
import type { WebhookEvent } from './port.js'
import { paymentEvents, recordHistory } from './records.js'
import { statesLeadingTo } from './states.js'

/**
 * Applies a verified provider event once: the event id is inserted first and a delivery seen
 * before matches nothing (`duplicate: true`, no effect). An event only moves a payment forward
 * (a guarded UPDATE per state), so an event arriving after the request already settled the
 * payment changes nothing; one arriving first (the request's answer was lost) settles it.
 */
export async function applyWebhookEvent(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: string,
  event: WebhookEvent,
) {
  const fresh = await tx
    .insertInto('payments.webhook_event')
    .values({
      provider,
      event_id: event.id,
      type: event.type,
      payment_id: event.paymentId,
      received_at: clock.now(),
    })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst()
  if (!fresh) return { duplicate: true, paymentId: event.paymentId }
  const row = await tx
    .selectFrom('payments.payment')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('id', '=', event.paymentId ?? ''),
        eb('provider_payment_id', '=', event.providerPaymentId),
      ]),
    )
    .where('provider', '=', provider)
    .executeTakeFirst()
  if (!row) return { duplicate: false, paymentId: null }
  const outcome = { ok: true as const, providerPaymentId: event.providerPaymentId }
  switch (event.type) {
    case 'payment_intent.amount_capturable_updated':
      await settleAuthorization(tx, clock, row, outcome)
      break
    case 'payment_intent.payment_failed':
      await settleAuthorization(tx, clock, row, {
        ...outcome,
        ok: false,
        code: 'card_declined',
        declineCode: null,
        message: 'declined',
      })
      break
    case 'payment_intent.succeeded': {
      const moved = await tx
        .updateTable('payments.payment')
        .set({
          status: 'captured',
          provider_payment_id: event.providerPaymentId,
          updated_at: clock.now(),
        })
        .where('id', '=', row.id)
        .where('status', 'in', statesLeadingTo('captured'))
        .returningAll()
        .executeTakeFirst()
      if (moved)
        await recordHistory(
          tx,
          clock,
          moved,
          { kind: 'captured', amount: moved.amount_minor, detail: { webhook: event.id } },
          paymentEvents.captured,
        )
      break
    }
  }
  return { duplicate: false, paymentId: row.id }
}
