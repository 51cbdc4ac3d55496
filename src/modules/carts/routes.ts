import type { FastifyRequest } from 'fastify'
import { channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { createCart, customerCart, findCart, setFulfillment } from './carts.js'
import { applyCoupon, removeCoupon } from './coupons.js'
import type { CartRow, CartsTables } from './db.js'
import { identifyCart } from './identify.js'
import { addLine, removeLine, setLineQuantity } from './lines.js'
import {
  AddLineBody,
  CartParams,
  CartView,
  CouponBody,
  CreateCartBody,
  CustomerCartParams,
  FulfillmentBody,
  IdentifyBody,
  LineParams,
  SetLineBody,
} from './schema.js'
import { cartViewOf, type Viewer } from './views.js'

const tags = ['carts']

const viewerOf = (req: FastifyRequest): Viewer => ({ channel: channelOf(req.principal), store: req.principal.location })

export const cartRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps

  /** Audits a staff change (a call-centre agent's, a clerk's) and answers the cart as the caller sees it. */
  async function answer(tx: Tx<CartsTables>, req: FastifyRequest, cart: CartRow, action: string, seen?: CartView) {
    const view = seen ?? (await cartViewOf(tx, clock, cart, viewerOf(req)))
    await recordAudit(crossModule(tx), clock, req.principal, { action, resource: 'cart', resourceId: cart.id, after: view }, req.id)
    return view
  }

  app.post(
    '/v1/carts',
    {
      schema: {
        tags,
        description: "Starts a cart for a customer or an anonymous visitor; answers 200 with the open cart they already have.",
        body: CreateCartBody,
        response: { 200: CartView, 201: CartView },
      },
      config: { scope: 'carts:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, (r: { status: string; created: boolean }) => (r.created ? 201 : 200), async (tx) => {
        const { cart, created } = await createCart(tx, clock, req.body, channelOf(req.principal))
        return { ...(await answer(tx, req, cart, 'cart.created')), created }
      }),
  )
  app.get(
    '/v1/carts/:id',
    { schema: { tags, params: CartParams, response: { 200: CartView } }, config: { scope: 'carts:read' } },
    async (req) =>
      inTransaction(db, async (tx) => cartViewOf(tx, clock, await findCart(tx, req.params.id), viewerOf(req))),
  )
  app.get(
    '/v1/customers/:id/cart',
    {
      schema: {
        tags,
        description: "The customer's open cart, whichever touchpoint filled it; priced for the calling channel.",
        params: CustomerCartParams,
        response: { 200: CartView },
      },
      config: { scope: 'carts:read' },
    },
    async (req) =>
      inTransaction(db, async (tx) => cartViewOf(tx, clock, await customerCart(tx, req.params.id), viewerOf(req))),
  )
  app.post(
    '/v1/carts/:id/lines',
    { schema: { tags, params: CartParams, body: AddLineBody, response: { 200: CartView } }, config: { scope: 'carts:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) =>
        answer(tx, req, await addLine(tx, clock, req.params.id, req.body, channelOf(req.principal)), 'cart.line_added'),
      ),
  )
  app.patch(
    '/v1/carts/:id/lines/:sku',
    { schema: { tags, params: LineParams, body: SetLineBody, response: { 200: CartView } }, config: { scope: 'carts:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { id, sku } = req.params
        const cart = await setLineQuantity(tx, clock, id, sku, req.body.quantity, channelOf(req.principal))
        return answer(tx, req, cart, 'cart.line_changed')
      }),
  )
  app.delete(
    '/v1/carts/:id/lines/:sku',
    { schema: { tags, params: LineParams, response: { 200: CartView } }, config: { scope: 'carts:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const cart = await removeLine(tx, clock, req.params.id, req.params.sku, channelOf(req.principal))
        return answer(tx, req, cart, 'cart.line_removed')
      }),
  )
  app.put(
    '/v1/carts/:id/fulfillment',
    { schema: { tags, params: CartParams, body: FulfillmentBody, response: { 200: CartView } }, config: { scope: 'carts:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const cart = await setFulfillment(tx, clock, req.params.id, req.body, channelOf(req.principal))
        return answer(tx, req, cart, 'cart.fulfillment_set')
      }),
  )
  app.put(
    '/v1/carts/:id/coupon',
    {
      schema: {
        tags,
        description:
          "Applies a coupon code, replacing any other. A code that cannot be used is refused (422 with the reason); one that waits on the cart (a minimum spend, a customer for a once-per-customer offer) stays, and `coupon.reason` says why it does not apply yet.",
        params: CartParams,
        body: CouponBody,
        response: { 200: CartView },
      },
      config: { scope: 'carts:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { cart, view } = await applyCoupon(tx, clock, req.params.id, req.body.code, viewerOf(req))
        return answer(tx, req, cart, 'cart.coupon_applied', view)
      }),
  )
  app.delete(
    '/v1/carts/:id/coupon',
    { schema: { tags, params: CartParams, response: { 200: CartView } }, config: { scope: 'carts:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const cart = await removeCoupon(tx, clock, req.params.id, channelOf(req.principal))
        return answer(tx, req, cart, 'cart.coupon_removed')
      }),
  )
  app.post(
    '/v1/carts/:id/identify',
    {
      schema: {
        tags,
        description:
          "The visitor says who they are: the cart becomes the customer's, or merges into the cart they already have (quantities summed). Answers the customer's cart.",
        params: CartParams,
        body: IdentifyBody,
        response: { 200: CartView },
      },
      config: { scope: 'carts:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const cart = await identifyCart(tx, clock, req.params.id, req.body, channelOf(req.principal))
        return answer(tx, req, cart, 'cart.identified')
      }),
  )
}
