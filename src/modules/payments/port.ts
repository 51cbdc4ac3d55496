import type { Money } from '../../kernel/money.js'

/**
 * What the payments module needs from a card provider. Adapters (src/adapters/…) implement it;
 * this module never imports one, `src/modules.ts` hands it over. Every call that moves money
 * carries an idempotency key the module derives from the payment id and the operation, so a
 * retried call returns the first call's answer and never charges twice.
 */
export interface PaymentProvider {
  /** Stored on each payment so a webhook or an operator can tell which provider holds it. */
  readonly name: string
  authorize(request: AuthorizeRequest): Promise<ProviderOutcome>
  capture(request: {
    providerPaymentId: string
    amount: Money
    idempotencyKey: string
  }): Promise<ProviderOutcome>
  refund(request: {
    providerPaymentId: string
    amount: Money
    idempotencyKey: string
  }): Promise<ProviderOutcome>
  void(request: { providerPaymentId: string; idempotencyKey: string }): Promise<ProviderOutcome>
  /** Checks a webhook delivery's signature and age; never throws for a bad delivery. */
  verifyWebhook(rawBody: string, signatureHeader: string | undefined, now: Date): WebhookVerdict
}

export type CardDetails = {
  number: string
  expMonth: number
  expYear: number
  cvc?: string | undefined
}

export type AuthorizeRequest = {
  paymentId: string
  amount: Money
  /** Raw card details (tests, a PCI-scoped POS) or a provider token such as `pm_card_visa`. */
  card?: CardDetails | undefined
  token?: string | undefined
  idempotencyKey: string
}

/** The provider's answer: done, or refused with the issuer's codes (never an exception). */
export type ProviderOutcome =
  | { ok: true; providerPaymentId: string; providerRefundId?: string }
  | {
      ok: false
      providerPaymentId: string | null
      code: string
      declineCode: string | null
      message: string
    }

export type WebhookEvent = {
  id: string
  type: string
  providerPaymentId: string
  /** The Omnia payment id the provider echoes back from the authorization's metadata. */
  paymentId: string | null
}

export type WebhookVerdict = { ok: true; event: WebhookEvent } | { ok: false; reason: string }

/** Thrown by an adapter when the provider cannot be reached or answers nonsense. */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable'
}
