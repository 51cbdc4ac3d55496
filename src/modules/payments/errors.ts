import { DomainError } from '../../kernel/errors.js'

export function paymentDeclined(
  detail: string,
  members: { code: string; declineCode: string | null; paymentId?: string },
) {
  return new DomainError('payment-declined', detail, members)
}

export function providerUnavailable(paymentId: string, cause: unknown) {
  const err = new DomainError(
    'payment-provider-unavailable',
    `The payment provider did not answer: ${(cause as Error).message}`,
    { paymentId },
  )
  err.cause = cause
  return err
}
