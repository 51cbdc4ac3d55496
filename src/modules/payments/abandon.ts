import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import type { PaymentsTables } from './db.js'
import { findPayment, paymentEvents, recordHistory, toView, transition } from './records.js'
import type { PaymentView } from './schema.js'

/**
 * Gives up on a card payment still `pending` (its authorisation never came back: the process
 * died between the provider call and recording it, and no webhook followed): it becomes
 * `failed` with the code `abandoned`, so what it paid for can be released. A provider
 * authorisation that did happen is never captured and lapses at the issuer; a webhook arriving
 * later finds the payment no longer pending and changes nothing. A payment that moved on
 * meanwhile is answered as it is.
 */
export async function abandonPendingPayment(tx: Tx<PaymentsTables>, clock: Clock, id: string): Promise<PaymentView> {
  const moved = await transition(tx, clock, id, ['pending'], 'failed', { failure_code: 'abandoned' })
  if (!moved) return toView(tx, await findPayment(tx, id))
  await recordHistory(tx, clock, moved, { kind: 'failed', amount: moved.amount_minor, detail: { reason: 'abandoned' } }, paymentEvents.failed)
  return toView(tx, moved)
}
