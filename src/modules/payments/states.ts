import { illegalTransition } from '../../kernel/errors.js'

export const paymentMethods = ['card', 'cash_on_delivery', 'in_store', 'store_credit'] as const
export type PaymentMethod = (typeof paymentMethods)[number]

/**
 * The payment state machine. `authorized → failed` is the issuer refusing at capture time
 * (a card that authorizes but cannot be charged); `pending → captured` and `pending → voided` are
 * cash on delivery and pay in store, marked paid or cancelled. A card payment leaves `pending`
 * only through its authorization's outcome (see `cardMustBeAuthorized`).
 */
export const transitions = {
  pending: ['authorized', 'captured', 'voided', 'failed'],
  authorized: ['captured', 'voided', 'failed'],
  captured: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  voided: [],
  failed: [],
} as const satisfies Record<string, readonly string[]>

export type PaymentStatus = keyof typeof transitions
export const paymentStatuses = Object.keys(transitions) as [PaymentStatus, ...PaymentStatus[]]

/** The states from which `to` may be reached, for guarded UPDATEs (`where status in (…)`). */
export function statesLeadingTo(to: PaymentStatus): PaymentStatus[] {
  return paymentStatuses.filter((from) => (transitions[from] as readonly string[]).includes(to))
}

export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  const allowed: readonly PaymentStatus[] = transitions[from]
  if (!allowed.includes(to)) throw illegalTransition('payment', from, to, allowed)
}

/** A card payment still waiting for the provider's answer has nothing to capture or void yet. */
export function cardMustBeAuthorized(
  method: PaymentMethod,
  from: PaymentStatus,
  to: PaymentStatus,
): void {
  if (method === 'card' && from === 'pending')
    throw illegalTransition('payment', from, to, ['authorized', 'failed'])
}
