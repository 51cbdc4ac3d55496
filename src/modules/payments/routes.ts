import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { idempotencyKeyOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import type { PaymentsTables } from './db.js'
import { authorizeOperation, captureOperation, declineOf, runStaged } from './operations.js'
import { refundOperation, voidOperation } from './reversals.js'
import { recordPayment } from './payments.js'
import type { PaymentProvider } from './port.js'
import { getPayment } from './records.js'
import {
  AuthorizeBody,
  EmptyBody,
  IssueStoredValueBody,
  PaymentParams,
  PaymentView,
  RefundBody,
  StoredValueParams,
  StoredValueView,
  TopUpBody,
} from './schema.js'
import {
  creditStoredValue,
  findStoredValue,
  issueStoredValue,
  toStoredValueView,
} from './stored-value.js'
import { applyWebhookEvent } from './webhooks.js'

const tags = ['payments']

/**
 * Payments over HTTP. Provider calls happen between two transactions (see `runStaged`), so no
 * row lock is held while the provider thinks. The provider's webhook lives outside /v1: it is
 * authenticated by its signature, not by an API key.
 */
export function paymentRoutes(provider: PaymentProvider): ModuleRoutes {
  return async (app, deps) => {
    const { clock } = deps
    const db = deps.db
    const audit =
      (req: FastifyRequest, action: string) => async (tx: Tx<PaymentsTables>, after: PaymentView) =>
        recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          { action, resource: 'payment', resourceId: after.id, after },
          req.id,
        )

    app.post(
      '/v1/payments',
      {
        schema: { tags, body: AuthorizeBody, response: { 201: PaymentView } },
        config: { scope: 'payments:write' },
      },
      async (req, reply) => {
        const requestKey = idempotencyKeyOf(req)
        const origin = {
          channel: channelOf(req.principal),
          ownerKey: req.principal.keyId,
          ...(requestKey && { requestKey }),
        }
        const { row, replayed } = await inTransaction(db, (tx) =>
          recordPayment(tx, clock, provider, req.body, origin),
        )
        const op = authorizeOperation(clock, provider, row, {
          card: req.body.card,
          token: req.body.token,
        })
        const view = await runStaged(
          db,
          op,
          replayed ? undefined : audit(req, 'payment.authorized'),
        )
        if (view.status === 'failed') throw declineOf(view)
        if (replayed) reply.header('idempotent-replayed', 'true')
        return reply.code(201).send(view)
      },
    )
    app.get(
      '/v1/payments/:id',
      {
        schema: { tags, params: PaymentParams, response: { 200: PaymentView } },
        config: { scope: 'payments:read' },
      },
      async (req) => inTransaction(db, (tx) => getPayment(tx, req.params.id)),
    )
    app.post(
      '/v1/payments/:id/capture',
      {
        schema: { tags, params: PaymentParams, body: EmptyBody, response: { 200: PaymentView } },
        config: { scope: 'payments:write' },
      },
      async (req) =>
        runStaged(
          db,
          captureOperation(clock, provider, req.params.id),
          audit(req, 'payment.captured'),
        ),
    )
    app.post(
      '/v1/payments/:id/refund',
      {
        schema: {
          tags,
          params: PaymentParams,
          body: RefundBody.optional(),
          response: { 200: PaymentView },
        },
        config: { scope: 'payments:write' },
      },
      async (req) =>
        runStaged(
          db,
          refundOperation(clock, provider, req.params.id, req.body?.amount, req.body?.storeCredit),
          audit(req, 'payment.refunded'),
        ),
    )
    app.post(
      '/v1/payments/:id/void',
      {
        schema: { tags, params: PaymentParams, body: EmptyBody, response: { 200: PaymentView } },
        config: { scope: 'payments:write' },
      },
      async (req) =>
        runStaged(db, voidOperation(clock, provider, req.params.id), audit(req, 'payment.voided')),
    )

    app.post(
      '/v1/stored-value',
      {
        schema: { tags, body: IssueStoredValueBody, response: { 201: StoredValueView } },
        config: { scope: 'payments:manage' },
      },
      (req, reply) =>
        sendWrite(req, reply, deps, 201, async (tx) => {
          const account = await issueStoredValue(tx, clock, req.body, channelOf(req.principal))
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            {
              action: 'stored_value.issued',
              resource: 'stored_value',
              resourceId: account.code,
              after: account,
            },
            req.id,
          )
          return account
        }),
    )
    app.post(
      '/v1/stored-value/:code/top-up',
      {
        schema: {
          tags,
          params: StoredValueParams,
          body: TopUpBody,
          response: { 200: StoredValueView },
        },
        config: { scope: 'payments:manage' },
      },
      (req, reply) =>
        sendWrite(req, reply, deps, 200, async (tx) => {
          const before = toStoredValueView(await findStoredValue(tx, req.params.code))
          const after = await creditStoredValue(tx, clock, req.params.code, req.body.amount, {
            reason: 'top_up',
            reference: req.body.reference ?? null,
            channel: channelOf(req.principal),
          })
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            {
              action: 'stored_value.topped_up',
              resource: 'stored_value',
              resourceId: after.code,
              before,
              after,
            },
            req.id,
          )
          return after
        }),
    )
    app.get(
      '/v1/stored-value/:code',
      {
        schema: { tags, params: StoredValueParams, response: { 200: StoredValueView } },
        config: { scope: 'payments:read' },
      },
      async (req) =>
        toStoredValueView(await inTransaction(db, (tx) => findStoredValue(tx, req.params.code))),
    )

    await app.register(async (hooks) => {
      // The signature covers the exact bytes sent, so the body is kept as text and parsed after.
      hooks.removeAllContentTypeParsers()
      hooks.addContentTypeParser(
        'application/json',
        { parseAs: 'string', bodyLimit: 256 * 1024 },
        (_req, body, done) => done(null, body),
      )
      hooks.post(
        `/webhooks/payments/${provider.name}`,
        {
          schema: {
            hide: true,
            response: { 200: z.object({ received: z.literal(true), duplicate: z.boolean() }) },
          },
        },
        async (req) => {
          const verdict = provider.verifyWebhook(
            String(req.body ?? ''),
            req.headers['stripe-signature'] as string | undefined,
            clock.now(),
          )
          if (!verdict.ok)
            throw new DomainError('unauthenticated', `Webhook refused: ${verdict.reason}`)
          const result = await inTransaction(db, (tx) =>
            applyWebhookEvent(tx, clock, provider.name, verdict.event),
          )
          return { received: true as const, duplicate: result.duplicate }
        },
      )
    })
  }
}
