import { channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { changeConfiguration, pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { evaluate } from './evaluate.js'
import { redeem } from './redemptions.js'
import {
  CouponParams,
  CouponView,
  CreateCodesBody,
  CreatedCodesView,
  CreatePromotionBody,
  EvaluateBody,
  PlanView,
  PromotionParams,
  PromotionQuery,
  PromotionView,
  RedeemBody,
  RedeemedView,
  UpdatePromotionBody,
} from './schema.js'
import {
  couponStatus,
  createCodes,
  createPromotion,
  findPromotion,
  listPromotions,
  toView,
  updatePromotion,
} from './service.js'

const tags = ['promotions']

export const promotionRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.post(
    '/v1/promotions',
    {
      schema: { tags, body: CreatePromotionBody, response: { 201: PromotionView } },
      config: { scope: 'promotions:write' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 201, async (tx) => {
        const promotion = await createPromotion(tx, clock, req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'promotion.created',
            resource: 'promotion',
            resourceId: promotion.id,
            after: promotion,
          },
          req.id,
        )
        return promotion
      }),
  )
  app.get(
    '/v1/promotions',
    {
      schema: { tags, querystring: PromotionQuery, response: { 200: pageOf(PromotionView) } },
      config: { scope: 'promotions:read' },
    },
    (req) => inTransaction(db, (tx) => listPromotions(tx, req.query)),
  )
  app.get(
    '/v1/promotions/:id',
    {
      schema: { tags, params: PromotionParams, response: { 200: PromotionView } },
      config: { scope: 'promotions:read' },
    },
    async (req) => toView(await inTransaction(db, (tx) => findPromotion(tx, req.params.id))),
  )
  app.patch(
    '/v1/promotions/:id',
    {
      schema: {
        tags,
        params: PromotionParams,
        body: UpdatePromotionBody,
        response: { 200: PromotionView },
      },
      config: { scope: 'promotions:write' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const { before, after } = await updatePromotion(tx, clock, req.params.id, req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'promotion.updated',
            resource: 'promotion',
            resourceId: after.id,
            before,
            after,
          },
          req.id,
        )
        return after
      }),
  )
  app.post(
    '/v1/promotions/:id/codes',
    {
      schema: {
        tags,
        description: 'Makes single-use codes (for QR offers), each redeemable once',
        params: PromotionParams,
        body: CreateCodesBody,
        response: { 201: CreatedCodesView },
      },
      config: { scope: 'promotions:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const data = await createCodes(tx, clock, req.params.id, req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'promotion.codes_created',
            resource: 'promotion',
            resourceId: req.params.id,
            after: { count: data.length, expiresAt: req.body.expiresAt ?? null },
          },
          req.id,
        )
        return { data }
      }),
  )
  app.post(
    '/v1/promotions/evaluate',
    {
      schema: {
        tags,
        description: 'Previews the discounts on a basket; redeems nothing',
        body: EvaluateBody,
        response: { 200: PlanView },
      },
      config: { scope: 'promotions:apply' },
    },
    (req) =>
      inTransaction(db, (tx) =>
        evaluate(tx, clock, { ...req.body, channel: channelOf(req.principal) }),
      ),
  )
  app.post(
    '/v1/promotions/redeem',
    {
      schema: {
        tags,
        description: 'Records that an order uses promotions and codes: all of them or none',
        body: RedeemBody,
        response: { 200: RedeemedView },
      },
      config: { scope: 'promotions:apply' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, (tx) =>
        redeem(tx, clock, { ...req.body, channel: channelOf(req.principal) }),
      ),
  )
  app.get(
    '/v1/coupons/:code',
    {
      schema: { tags, params: CouponParams, response: { 200: CouponView } },
      config: { scope: 'promotions:read' },
    },
    async (req) => inTransaction(db, (tx) => couponStatus(tx, clock, req.params.code)),
  )
}
