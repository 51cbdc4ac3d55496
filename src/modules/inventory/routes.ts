import { actorOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction, withoutTransaction } from '../../kernel/db/index.js'
import { pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { recordMovement } from './movements.js'
import { ledgerOf, listStock, stockOf } from './queries.js'
import { reservationRoutes } from './reservation-routes.js'
import {
  IdParams,
  LedgerEntryView,
  LedgerQuery,
  MovementBody,
  MovementResult,
  SkuLocationParams,
  SkuParams,
  StockLevelView,
  StockListQuery,
  StockSettingsBody,
  StockView,
  TransferBody,
  TransferListQuery,
  TransferView,
} from './schema.js'
import { setStockSettings } from './settings.js'
import { toLedgerView, toLevelView } from './stock.js'
import { createTransfer, getTransfer, listTransfers, receiveTransfer } from './transfers.js'

const tags = ['inventory']

export const inventoryRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  await app.register(reservationRoutes, deps)

  app.get(
    '/v1/inventory',
    {
      schema: {
        tags,
        description: "A location's stock by SKU",
        querystring: StockListQuery,
        response: { 200: pageOf(StockLevelView) },
      },
      config: { scope: 'inventory:read' },
    },
    async (req) => inTransaction(db, (tx) => listStock(tx, req.query)),
  )

  app.get(
    '/v1/inventory/:sku',
    {
      schema: { tags, params: SkuParams, response: { 200: StockView } },
      config: { scope: 'inventory:read' },
    },
    async (req) => withoutTransaction(db, (tx) => stockOf(tx, req.params.sku)),
  )

  app.get(
    '/v1/inventory/:sku/ledger',
    {
      schema: {
        tags,
        description: 'Stock ledger, newest first',
        params: SkuParams,
        querystring: LedgerQuery,
        response: { 200: pageOf(LedgerEntryView) },
      },
      config: { scope: 'inventory:read' },
    },
    async (req) => inTransaction(db, (tx) => ledgerOf(tx, req.params.sku, req.query)),
  )

  app.put(
    '/v1/inventory/:sku/locations/:location',
    {
      schema: {
        tags,
        description: 'Safety stock and low-stock threshold',
        params: SkuLocationParams,
        body: StockSettingsBody,
        response: { 200: StockLevelView },
      },
      config: { scope: 'inventory:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { sku, location } = req.params
        const [change] = await setStockSettings(
          tx,
          clock,
          [{ sku, location, ...req.body }],
          (_i, field) => `params.${field}`,
        )
        const { before, after } = change!
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.settings_changed',
            resource: 'stock',
            resourceId: `${sku}@${location}`,
            before,
            after,
          },
          req.id,
        )
        return after
      }),
  )

  app.post(
    '/v1/inventory/movements',
    {
      schema: {
        tags,
        description: 'Receipt, adjustment or count',
        body: MovementBody,
        response: { 201: MovementResult },
      },
      config: { scope: 'inventory:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const { entries, change } = await recordMovement(
          tx,
          clock,
          actorOf(req.principal),
          req.body,
        )
        const before = toLevelView(change.before)
        const after = toLevelView(change.after)
        const entry = entries[0]!
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: `inventory.${entry.kind}`,
            resource: 'stock',
            resourceId: `${after.sku}@${after.location}`,
            before,
            after,
          },
          req.id,
        )
        return { entries: entries.map(toLedgerView), stock: after }
      }),
  )

  app.post(
    '/v1/inventory/transfers',
    {
      schema: { tags, body: TransferBody, response: { 201: TransferView } },
      config: { scope: 'inventory:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const transfer = await createTransfer(tx, clock, actorOf(req.principal), req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.transfer_created',
            resource: 'transfer',
            resourceId: transfer.id,
            after: transfer,
          },
          req.id,
        )
        return transfer
      }),
  )

  app.get(
    '/v1/inventory/transfers',
    {
      schema: {
        tags,
        description: "A location's transfers to receive (`direction=in`) or to send (`out`)",
        querystring: TransferListQuery,
        response: { 200: pageOf(TransferView) },
      },
      config: { scope: 'inventory:read' },
    },
    async (req) => inTransaction(db, (tx) => listTransfers(tx, req.query)),
  )

  app.get(
    '/v1/inventory/transfers/:id',
    {
      schema: { tags, params: IdParams, response: { 200: TransferView } },
      config: { scope: 'inventory:read' },
    },
    async (req) => inTransaction(db, (tx) => getTransfer(tx, req.params.id)),
  )

  app.post(
    '/v1/inventory/transfers/:id/receive',
    {
      schema: { tags, params: IdParams, response: { 200: TransferView } },
      config: { scope: 'inventory:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const transfer = await receiveTransfer(tx, clock, actorOf(req.principal), req.params.id)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.transfer_received',
            resource: 'transfer',
            resourceId: transfer.id,
            before: { status: 'in_transit' },
            after: transfer,
          },
          req.id,
        )
        return transfer
      }),
  )
}
