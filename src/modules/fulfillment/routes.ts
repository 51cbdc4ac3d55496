import { actorOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { idempotentWrite, pageOf, type ModuleRoutes } from '../../kernel/http/index.js'
import type { PaymentProvider } from '../payments/index.js'
import { getFulfillment, listFulfillments } from './fulfillments.js'
import type { OrderFollower } from './port.js'
import {
  FulfillmentListQuery,
  FulfillmentParams,
  FulfillmentView,
  TransitionBody,
} from './schema.js'
import { settleFulfillmentPayment } from './settle.js'
import { moveFulfillment } from './transitions.js'

const tags = ['fulfillment']

/**
 * Fulfilments over HTTP. A transition commits with its stock, order and event changes; a capture
 * or void it made due is then made with no transaction open (and retried by the task if the
 * provider is away), so the answer never waits on a lock held across a provider call.
 */
export function fulfillmentRoutes(
  provider: PaymentProvider,
  follower: OrderFollower,
): ModuleRoutes {
  return async (app, deps) => {
    const { db, clock } = deps

    app.get(
      '/v1/fulfillments',
      {
        schema: {
          tags,
          querystring: FulfillmentListQuery,
          response: { 200: pageOf(FulfillmentView) },
        },
        config: { scope: 'fulfillment:read' },
      },
      async (req) => inTransaction(db, (tx) => listFulfillments(tx, req.query)),
    )

    app.get(
      '/v1/fulfillments/:id',
      {
        schema: { tags, params: FulfillmentParams, response: { 200: FulfillmentView } },
        config: { scope: 'fulfillment:read' },
      },
      async (req) => inTransaction(db, (tx) => getFulfillment(tx, req.params.id)),
    )

    app.post(
      '/v1/fulfillments/:id/transitions',
      {
        schema: {
          tags,
          params: FulfillmentParams,
          body: TransitionBody,
          response: { 200: FulfillmentView },
        },
        config: { scope: 'fulfillment:write' },
      },
      async (req, reply) => {
        const moved = await idempotentWrite(req, deps, 200, async (tx) => {
          const { before, after } = await moveFulfillment(
            tx,
            clock,
            follower,
            req.params.id,
            req.body,
            { actor: actorOf(req.principal), store: req.principal.location },
          )
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            {
              action: `fulfillment.${after.status}`,
              resource: 'fulfillment',
              resourceId: after.id,
              before,
              after,
            },
            req.id,
          )
          return after
        })
        // A replay retries a capture or void the first attempt could not make.
        await settleFulfillmentPayment(db, clock, provider, req.params.id).catch((err) =>
          req.log.warn({ err, fulfillment: req.params.id }, 'payment left due for retry'),
        )
        if (moved.replayed) reply.header('idempotent-replayed', 'true')
        return reply.code(200).send(moved.body)
      },
    )
  }
}
