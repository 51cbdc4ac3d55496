import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { databaseUnavailable } from '../db/index.js'
import { DomainError, toProblem, validationFailed, type FieldError, type ProblemKind } from '../errors.js'

// Fastify's own client-error codes, mapped to our stable kinds.
const fastifyCodes: Record<string, ProblemKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-request',
}

// A field left out reads "is required", not "Invalid input: expected string, received undefined".
// Messages a schema gives itself still win.
z.config({ customError: (issue) => (issue.input === undefined ? 'is required' : undefined) })

type ZodIssueLike = { instancePath: string; message: string; params?: { keys?: string[] } }

/** `/lines/0/quantity` → `lines.0.quantity`; unknown keys are named one by one. */
function fieldErrors(where: string | undefined, issues: ZodIssueLike[]): FieldError[] {
  const prefix = where && where !== 'body' ? `${where === 'querystring' ? 'query' : where}.` : ''
  return issues.flatMap((issue) => {
    const base = issue.instancePath.split('/').filter(Boolean).join('.')
    const keys = issue.params?.keys
    if (keys?.length) {
      return keys.map((k) => ({ path: prefix + (base ? `${base}.${k}` : k), message: 'is not a known field' }))
    }
    return [{ path: prefix + base, message: issue.message }]
  })
}

export function sendProblem(reply: FastifyReply, err: DomainError, req: FastifyRequest) {
  const body = toProblem(err, req.url)
  if (err.kind === 'method-not-allowed') {
    const allow = (err.members as { allow?: string[] }).allow
    if (allow) reply.header('allow', allow.join(', '))
  }
  return reply.code(body.status).type('application/problem+json').send(body)
}

/**
 * Turns every error into RFC 9457 problem+json. Client mistakes get a 4xx with a stable type; a
 * database that cannot be reached is 503 with Retry-After; only a bug reaches 500, logged with
 * the request id so it can be found.
 */
export function installProblemHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof DomainError) return sendProblem(reply, err, req)
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = fieldErrors(err.validationContext, err.validation as unknown as ZodIssueLike[])
      return sendProblem(reply, validationFailed(errors), req)
    }
    const known = err.code ? fastifyCodes[err.code] : undefined
    if (known) return sendProblem(reply, new DomainError(known, err.message), req)
    if (err instanceof SyntaxError || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) {
      return sendProblem(reply, new DomainError('malformed-request', err.message), req)
    }
    // A unique index that a service did not anticipate still means "already exists", not a crash.
    if ((err as { code?: string }).code === '23505') {
      return sendProblem(reply, new DomainError('already-exists', 'That already exists'), req)
    }
    // The database restarting or failing over is the client's cue to retry, not a bug.
    if (databaseUnavailable(err)) {
      req.log.warn({ err, reqId: req.id }, 'database unavailable')
      reply.header('retry-after', '1')
      return sendProblem(reply, new DomainError('unavailable', 'The database cannot be reached; retry shortly'), req)
    }
    req.log.error({ err, reqId: req.id }, 'unhandled error')
    return sendProblem(
      reply,
      new DomainError('internal-error', `Request ${req.id} failed; the log has the details`),
      req,
    )
  })
}
