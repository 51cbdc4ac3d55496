import type { FastifyRequest } from 'fastify'
import { actorOf, channelOf, recordAudit } from '../../kernel/auth/index.js'
import { inTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { consistencyReport } from './consistency.js'
import type { PricingTables } from './db.js'
import { assertChannelExists, removeOverrides, setOverride, skuPrices } from './overrides.js'
import { setBasePrices } from './prices.js'
import {
  ConsistencyEntry,
  ConsistencyQuery,
  OverrideDeleteQuery,
  OverrideParams,
  OverrideView,
  PricesQuery,
  SetOverrideBody,
  SetPricesBody,
  SkuParams,
  SkuPricesView,
} from './schema.js'

const tags = ['pricing']

/** A touchpoint sees its own channel's prices; staff the base book unless they name a channel. */
async function viewerChannel(
  tx: Tx<PricingTables>,
  req: FastifyRequest,
  asked: string | undefined,
) {
  const own = channelOf(req.principal)
  if (own !== null) {
    if (asked !== undefined && asked !== own)
      throw new DomainError('forbidden', `A touchpoint of ${own} sees only its own channel`)
    return own
  }
  if (asked !== undefined) await assertChannelExists(tx, asked, 'query.channel')
  return asked ?? null
}

// Overrides are a staff decision with a name and a reason attached; scopes already keep
// touchpoints out, this keeps it so if a touchpoint kind is ever given pricing:write.
function assertStaff(req: FastifyRequest) {
  if (req.principal.kind !== 'staff')
    throw new DomainError('forbidden', 'Only staff set channel prices')
}

export const pricingRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.get(
    '/v1/pricing/prices/:sku',
    {
      schema: {
        tags,
        params: SkuParams,
        querystring: PricesQuery,
        response: { 200: SkuPricesView },
      },
      config: { scope: 'pricing:read' },
    },
    (req) =>
      inTransaction(db, async (tx) =>
        skuPrices(tx, req.params.sku, await viewerChannel(tx, req, req.query.channel)),
      ),
  )
  app.put(
    '/v1/pricing/prices/:sku',
    {
      schema: {
        tags,
        description:
          'Sets the base price book of a SKU: one price per currency, used by every channel without an override.',
        params: SkuParams,
        body: SetPricesBody,
        response: { 200: SkuPricesView },
      },
      config: { scope: 'pricing:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        assertStaff(req)
        const { sku } = req.params
        const { before, after } = await setBasePrices(
          tx,
          clock,
          sku,
          req.body.prices,
          channelOf(req.principal),
        )
        await recordAudit(
          tx,
          clock,
          req.principal,
          { action: 'price.set', resource: 'price', resourceId: sku, before, after },
          req.id,
        )
        return skuPrices(tx, sku, null)
      }),
  )
  app.put(
    '/v1/pricing/overrides/:sku/:channel',
    {
      schema: {
        tags,
        description:
          'Makes one channel charge its own price for a SKU in one currency. Staff only; audited with the reason.',
        params: OverrideParams,
        body: SetOverrideBody,
        response: { 200: OverrideView },
      },
      config: { scope: 'pricing:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        assertStaff(req)
        const { sku, channel } = req.params
        const { before, after } = await setOverride(
          tx,
          clock,
          sku,
          channel,
          req.body,
          actorOf(req.principal),
        )
        await recordAudit(
          tx,
          clock,
          req.principal,
          {
            action: 'price_override.set',
            resource: 'price_override',
            resourceId: `${sku}/${channel}`,
            before,
            after,
          },
          req.id,
        )
        return after
      }),
  )
  app.delete(
    '/v1/pricing/overrides/:sku/:channel',
    {
      schema: {
        tags,
        description:
          "Removes a channel's own price (one currency, or all): it pays the base price again.",
        params: OverrideParams,
        querystring: OverrideDeleteQuery,
        response: { 200: SkuPricesView },
      },
      config: { scope: 'pricing:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        assertStaff(req)
        const { sku, channel } = req.params
        const { before } = await removeOverrides(tx, clock, sku, channel, req.query.currency)
        await recordAudit(
          tx,
          clock,
          req.principal,
          {
            action: 'price_override.removed',
            resource: 'price_override',
            resourceId: `${sku}/${channel}`,
            before,
            after: null,
          },
          req.id,
        )
        return skuPrices(tx, sku, null)
      }),
  )
  app.get(
    '/v1/pricing/consistency',
    {
      schema: {
        tags,
        description:
          'Every SKU and currency some channel pays differently from the base price, by SKU.',
        querystring: ConsistencyQuery,
        response: { 200: pageOf(ConsistencyEntry) },
      },
      config: { scope: 'pricing:read' },
    },
    (req) => inTransaction(db, (tx) => consistencyReport(tx, req.query)),
  )
}
