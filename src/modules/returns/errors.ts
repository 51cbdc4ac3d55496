import { DomainError } from '../../kernel/errors.js'

/** Why a policy refused a part of a return; `reason` is stable, `message` is for people. */
export type Refusal = {
  path: string
  reason:
    | 'not-in-order'
    | 'not-handed-over'
    | 'window-closed'
    | 'condition-not-accepted'
    | 'non-returnable-category'
    | 'exceeds-returnable'
    | 'location-not-accepting-returns'
    | 'proof-required'
    | 'payment-required'
    | 'payment-not-taken'
    | 'already-refunded'
  message: string
}

/** A return the policy refuses, with every reason at its path; nothing was written. */
export function returnNotAllowed(refusals: readonly Refusal[]) {
  return new DomainError(
    'return-not-allowed',
    refusals.map((r) => `${r.path}: ${r.message}`).join('; '),
    { refusals },
  )
}
