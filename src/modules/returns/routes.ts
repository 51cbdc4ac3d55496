import type { FastifyReply, FastifyRequest } from 'fastify'
import { actorOf, channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import {
  requireIdempotencyKey,
  idempotentWrite,
  pageOf,
  PageQuery,
  sendWrite,
  type ModuleRoutes,
} from '../../kernel/http/index.js'
import type { PaymentProvider } from '../payments/index.js'
import { createExchange, undoCharges, type Charge } from './exchanges.js'
import { getReturnPolicy, setReturnPolicy } from './policy.js'
import { getReturn, listReturns } from './queries.js'
import { receiveReturn } from './receipt.js'
import { completeCardRefund } from './refunds.js'
import { createReturn, type ReturnOrigin } from './returns.js'
import {
  CreateExchangeBody,
  CreateReturnBody,
  ExchangeView,
  ReturnListQuery,
  ReturnParams,
  ReturnPolicyBody,
  ReturnPolicyView,
  ReturnView,
  ReceiveReturnBody,
} from './schema.js'

const tags = ['returns']

const refundStatusNote =
  'A card refund goes to the provider once the return has committed, and `refund.status` in ' +
  'the 201 answer says where it stands: `refunded` (done); `pending` (the provider could not ' +
  'be reached: retrying the request with the same Idempotency-Key, or the periodic retry, ' +
  'refunds it); `refunding` (the provider has it right now, as when a retry arrives while the ' +
  'first attempt is still waiting for the provider). A retry always answers the same return ' +
  'as it is now, 201 with `idempotent-replayed: true`, and never refunds twice; ' +
  'GET /v1/returns/{id} shows how a `refunding` refund ended.'

function originOf(req: FastifyRequest): ReturnOrigin {
  const p = req.principal
  return {
    channel: channelOf(p),
    channelKind: p.kind === 'touchpoint' ? p.channel.kind : null,
    touchpoint: p.keyId,
    store: p.location,
    staff: p.kind === 'staff' ? p.keyId : null,
    actor: actorOf(p),
  }
}

function requireKey(req: FastifyRequest) {
  requireIdempotencyKey(req, 'a retry must not return or refund twice')
}

/**
 * Returns and exchanges over HTTP. The return (restock, refunds that need no provider, the
 * replacement order of an exchange) commits first; a card refund then goes to the provider
 * with no transaction open, and the answer shows its outcome. A replay of the request re-drives
 * a card refund the first attempt left pending (or abandoned past the lease); one still with the
 * provider is answered `refunding`.
 */
export function returnRoutes(provider: PaymentProvider): ModuleRoutes {
  return async (app, deps) => {
    const { db, clock } = deps

    // Whatever the provider says, the return stands; its answer shows the refund as it is.
    async function driveRefund(req: FastifyRequest, returnId: string) {
      const attempt = await completeCardRefund(db, clock, provider, returnId)
      if (typeof attempt === 'object')
        req.log.warn({ err: attempt.blocked, returnId }, 'the payment refuses a return refund')
    }

    // A fresh answer is final unless a card refund waits; a replay shows the refund as it is.
    async function sendReturn(
      req: FastifyRequest,
      reply: FastifyReply,
      status: number,
      taken: { body: ReturnView; replayed: boolean },
    ) {
      if (taken.replayed) reply.header('idempotent-replayed', 'true')
      if (!taken.replayed && taken.body.refund.status !== 'pending')
        return reply.code(status).send(taken.body)
      const id = taken.body.id
      await driveRefund(req, id)
      return reply.code(status).send(await inTransaction(db, (tx) => getReturn(tx, id)))
    }

    app.post(
      '/v1/returns',
      {
        schema: {
          tags,
          description:
            'Takes back goods of any order, whichever channel sold it, at a store that accepts ' +
            'returns or by post. Requires an Idempotency-Key. ' +
            refundStatusNote,
          body: CreateReturnBody,
          response: { 201: ReturnView },
        },
        config: { scope: 'returns:write' },
      },
      async (req, reply) => {
        requireKey(req)
        const origin = originOf(req)
        const taken = await idempotentWrite(req, deps, 201, async (tx) => {
          const view = await createReturn(tx, clock, provider, origin, req.body)
          const action = view.status === 'received' ? 'return.received' : 'return.requested'
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            { action, resource: 'return', resourceId: view.id, after: view },
            req.id,
          )
          return view
        })
        return sendReturn(req, reply, 201, taken)
      },
    )

    app.post(
      '/v1/returns/:id/receive',
      {
        schema: {
          tags,
          description:
            'Receives the parcel of a return sent by post: its goods go back into stock (or ' +
            'quarantine, for a condition found on unpacking) and the money owed is refunded. ' +
            'Staff and store tills only; a key of a location receives there. ' +
            'Requires an Idempotency-Key. ' +
            refundStatusNote,
          params: ReturnParams,
          body: ReceiveReturnBody,
          response: { 200: ReturnView },
        },
        config: { scope: 'returns:receive' },
      },
      async (req, reply) => {
        requireKey(req)
        const origin = originOf(req)
        const taken = await idempotentWrite(req, deps, 200, async (tx) => {
          const before = await getReturn(tx, req.params.id)
          const view = await receiveReturn(tx, clock, provider, origin, req.params.id, req.body)
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            {
              action: 'return.received',
              resource: 'return',
              resourceId: view.id,
              before,
              after: view,
            },
            req.id,
          )
          return view
        })
        return sendReturn(req, reply, 200, taken)
      },
    )

    app.post(
      '/v1/exchanges',
      {
        schema: {
          tags,
          description:
            'Returns goods and places their replacement as one operation: the returned value ' +
            'pays for it. Within one product (another size or colour) a replacement unit costs ' +
            'what the returned unit was paid, plus the difference between the two variants\' ' +
            'prices today; other products cost what a new order would. ' +
            'Requires an Idempotency-Key. A difference refunded to a card is ' +
            'answered in `return.refund` as for POST /v1/returns. ' +
            refundStatusNote,
          body: CreateExchangeBody,
          response: { 201: ExchangeView },
        },
        config: { scope: 'returns:write' },
      },
      async (req, reply) => {
        requireKey(req)
        const origin = originOf(req)
        const charges: Charge[] = []
        let taken
        try {
          taken = await idempotentWrite(req, deps, 201, async (tx) => {
            const exchange = await createExchange(tx, clock, provider, origin, req.body, charges)
            await recordAudit(
              crossModule(tx),
              clock,
              req.principal,
              {
                action: 'return.exchanged',
                resource: 'return',
                resourceId: exchange.return.id,
                after: exchange,
              },
              req.id,
            )
            return exchange
          })
        } catch (err) {
          for (const { charge, error } of await undoCharges(provider, charges))
            req.log.error({ err: error, charge }, 'an exchange that rolled back kept a card charge')
          throw err
        }
        if (taken.replayed) reply.header('idempotent-replayed', 'true')
        const id = taken.body.return.id
        await driveRefund(req, id)
        const current = await inTransaction(db, (tx) => getReturn(tx, id))
        return reply.code(201).send({ ...taken.body, return: current })
      },
    )

    app.get(
      '/v1/returns/:id',
      {
        schema: { tags, params: ReturnParams, response: { 200: ReturnView } },
        config: { scope: 'returns:read' },
      },
      async (req) => inTransaction(db, (tx) => getReturn(tx, req.params.id)),
    )

    app.get(
      '/v1/returns',
      {
        schema: { tags, querystring: ReturnListQuery, response: { 200: pageOf(ReturnView) } },
        config: { scope: 'returns:read' },
      },
      async (req) => {
        // Touchpoints look returns up by id or by their order; the whole list is for staff.
        if (req.principal.kind !== 'staff')
          throw new DomainError('forbidden', 'Only staff keys may list every return')
        return inTransaction(db, (tx) => listReturns(tx, req.query))
      },
    )

    app.get(
      '/v1/orders/:id/returns',
      {
        schema: {
          tags,
          params: ReturnParams,
          querystring: PageQuery,
          response: { 200: pageOf(ReturnView) },
        },
        config: { scope: 'returns:read' },
      },
      async (req) =>
        inTransaction(db, (tx) => listReturns(tx, { ...req.query, orderId: req.params.id })),
    )

    app.get(
      '/v1/return-policy',
      {
        schema: { tags, response: { 200: ReturnPolicyView } },
        config: { scope: 'returns:read' },
      },
      async () => inTransaction(db, (tx) => getReturnPolicy(tx)),
    )

    app.put(
      '/v1/return-policy',
      {
        schema: { tags, body: ReturnPolicyBody, response: { 200: ReturnPolicyView } },
        config: { scope: 'returns:manage' },
      },
      (req, reply) =>
        sendWrite(req, reply, deps, 200, async (tx) => {
          const change = await setReturnPolicy(tx, clock, req.body)
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            {
              action: 'return_policy.changed',
              resource: 'return_policy',
              resourceId: 'default',
              ...change,
            },
            req.id,
          )
          return change.after
        }),
    )
  }
}
