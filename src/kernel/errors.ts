/**
 * The one registry of problem kinds (RFC 9457). Each kind becomes the stable type URI
 * `https://omnia.dev/problems/<kind>`; kinds are published, so they are never renamed.
 * docs/problems.md documents every kind, and a test keeps the two equal.
 */
export const problems = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-request': { status: 400, title: 'The request body cannot be read' },
  unauthenticated: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'This key may not do that' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'That method is not allowed here' },
  'already-exists': { status: 409, title: 'It already exists' },
  'insufficient-stock': { status: 409, title: 'Not enough stock' },
  'illegal-transition': { status: 409, title: 'That change is not allowed now' },
  'awaiting-transfer': { status: 409, title: 'Units are still on their way to this location' },
  'idempotency-key-reused': {
    status: 409,
    title: 'This Idempotency-Key was used with another request',
  },
  'payment-declined': { status: 402, title: 'The payment was declined' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'That content type is not accepted' },
  'unprocessable': { status: 422, title: 'The request cannot be carried out' },
  'coupon-not-applicable': { status: 422, title: 'That coupon or promotion cannot be used here' },
  'return-not-allowed': { status: 422, title: 'The return policy does not allow that return' },
  'courier-out-of-range': { status: 422, title: 'No location is near enough for courier delivery' },
  'internal-error': { status: 500, title: 'Something went wrong on our side' },
  'payment-provider-unavailable': { status: 502, title: 'The payment provider cannot be reached' },
  'unavailable': { status: 503, title: 'The service is not ready' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemKind = keyof typeof problems

export const problemBase = 'https://omnia.dev/problems/'

/** A refusal the caller can act on. Never thrown for a bug. */
export class DomainError<M extends object = object> extends Error {
  override readonly name = 'DomainError'
  constructor(
    readonly kind: ProblemKind,
    detail: string,
    readonly members = {} as M,
  ) {
    super(detail)
  }
}

export type FieldError = { path: string; message: string }

/** RFC 9457 body. Standard members last, so a module cannot overwrite them. */
export function toProblem(err: DomainError, instance?: string) {
  const { status, title } = problems[err.kind]
  const type = `${problemBase}${err.kind}`
  return { ...err.members, type, title, status, detail: err.message, ...(instance ? { instance } : {}) }
}

export function notFound(what: string, id: string) {
  return new DomainError('not-found', `No ${what} ${id}`, { resource: what, id })
}

export function alreadyExists(what: string, field: string, value: string) {
  return new DomainError('already-exists', `A ${what} with ${field} ${value} already exists`, {
    resource: what,
    errors: [{ path: field, message: `${value} is taken` }],
  })
}

export function validationFailed(errors: FieldError[], detail?: string) {
  return new DomainError(
    'validation-failed',
    detail ?? errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '),
    { errors },
  )
}

export function illegalTransition(what: string, from: string, to: string, allowed: readonly string[]) {
  return new DomainError(
    'illegal-transition',
    `A ${what} cannot go from ${from} to ${to}; allowed: ${allowed.join(', ') || 'none'}`,
    { from, to, allowed },
  )
}
