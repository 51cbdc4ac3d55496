import type { FastifyRequest } from 'fastify'
import { actorOf, channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import {
  requireIdempotencyKey,
  idempotentWrite,
  pageOf,
  PageQuery,
  type ModuleRoutes,
} from '../../kernel/http/index.js'
import type { PaymentProvider } from '../payments/index.js'
import { authorizeOrder, cancelOrder, reverseOrderPayment } from './lifecycle.js'
import { placeOrder, type OrderOrigin } from './placement.js'
import { customerOrders, getOrder, listOrders, trackOrder } from './queries.js'
import { resourcingRoutes } from './resourcing-routes.js'
import { orderSettingsRoutes } from './settings-routes.js'
import {
  CancelOrderBody,
  OrderListQuery,
  OrderParams,
  OrderView,
  PlaceOrderBody,
  TrackQuery,
} from './schema.js'

const tags = ['orders']

function originOf(req: FastifyRequest): OrderOrigin {
  const p = req.principal
  return {
    channel: channelOf(p),
    touchpoint: p.keyId,
    store: p.location,
    staff: p.kind === 'staff' ? p.keyId : null,
    actor: actorOf(p),
  }
}

/**
 * Orders over HTTP. Placement commits first (a card order as `pending_payment`), then the card
 * is authorised with no transaction open, then a second transaction settles payment and order.
 * A replay of a placement re-drives an authorisation the first attempt left unfinished.
 */
export function orderRoutes(provider: PaymentProvider): ModuleRoutes {
  return async (app, deps) => {
    const { db, clock } = deps

    app.post(
      '/v1/orders',
      {
        schema: { tags, body: PlaceOrderBody, response: { 201: OrderView } },
        config: { scope: 'orders:write' },
      },
      async (req, reply) => {
        requireIdempotencyKey(req, 'a retry must not place a second order')
        const origin = originOf(req)
        // Nothing leaves the database before the commit (a card is authorised after it), so
        // the key is written with the commit.
        const placed = await idempotentWrite(req, deps, 201, async (tx) => {
          const order = await placeOrder(tx, clock, provider, origin, req.body)
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            { action: 'order.placed', resource: 'order', resourceId: order.id, after: order },
            req.id,
          )
          return order
        }, 'at-commit')
        let order = placed.body
        if (order.status === 'pending_payment') {
          // A replay may find the authorisation finished meanwhile; the order then says so.
          const current = placed.replayed
            ? await inTransaction(db, (tx) => getOrder(tx, order.id))
            : order
          order =
            current.status === 'pending_payment'
              ? await authorizeOrder(db, clock, provider, current, req.body.payment)
              : current
        }
        if (placed.replayed) reply.header('idempotent-replayed', 'true')
        return reply.code(201).send(order)
      },
    )

    app.get(
      '/v1/orders/track',
      {
        schema: { tags, querystring: TrackQuery, response: { 200: OrderView } },
        config: { scope: 'orders:read' },
      },
      async (req) => inTransaction(db, (tx) => trackOrder(tx, req.query.number, req.query.contact)),
    )

    app.get(
      '/v1/orders',
      {
        schema: { tags, querystring: OrderListQuery, response: { 200: pageOf(OrderView) } },
        config: { scope: 'orders:read' },
      },
      async (req) => {
        // Touchpoints look orders up by id or number; the whole book is for staff.
        if (req.principal.kind !== 'staff')
          throw new DomainError('forbidden', 'Only staff keys may list every order')
        return inTransaction(db, (tx) => listOrders(tx, req.query))
      },
    )

    app.get(
      '/v1/orders/:id',
      {
        schema: { tags, params: OrderParams, response: { 200: OrderView } },
        config: { scope: 'orders:read' },
      },
      async (req) => inTransaction(db, (tx) => getOrder(tx, req.params.id)),
    )

    app.get(
      '/v1/customers/:id/orders',
      {
        schema: {
          tags,
          params: OrderParams,
          querystring: PageQuery,
          response: { 200: pageOf(OrderView) },
        },
        config: { scope: 'orders:read' },
      },
      async (req) => inTransaction(db, (tx) => customerOrders(tx, req.params.id, req.query)),
    )

    app.post(
      '/v1/orders/:id/cancel',
      {
        schema: { tags, params: OrderParams, body: CancelOrderBody, response: { 200: OrderView } },
        config: { scope: 'orders:write' },
      },
      async (req) => {
        const { after } = await inTransaction(db, async (tx) => {
          const result = await cancelOrder(tx, clock, req.params.id, {
            actor: actorOf(req.principal),
            reason: req.body?.reason,
          })
          await recordAudit(
            crossModule(tx),
            clock,
            req.principal,
            { action: 'order.cancelled', resource: 'order', resourceId: req.params.id, ...result },
            req.id,
          )
          return result
        })
        await reverseOrderPayment(db, clock, provider, after.payment.id)
        return after
      },
    )

    await orderSettingsRoutes(app, deps)
    await resourcingRoutes(app, deps)
  }
}
