import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { createCategory, listCategories } from './categories.js'
import { addVariants, updateProduct, updateVariant, type Change } from './changes.js'
import type { CatalogTables } from './db.js'
import { assertChannelsExist } from '../channels/index.js'
import { setChannels, setRelations } from './links.js'
import { createProduct } from './products.js'
import { getProduct, listProducts, type ProductKey } from './queries.js'
import {
  AddVariantsBody,
  BarcodeParams,
  CategoryView,
  CreateCategoryBody,
  CreateProductBody,
  ProductListQuery,
  ProductParams,
  ProductView,
  SetChannelsBody,
  SetRelationsBody,
  SkuParams,
  UpdateProductBody,
  UpdateVariantBody,
  VariantParams,
  ViewQuery,
} from './schema.js'

const tags = ['catalog']

/**
 * The channel whose eyes a read uses: a touchpoint always its own (asking for another is
 * `forbidden`); staff none (every product, base prices) unless they name an existing channel.
 */
export async function viewerChannel(
  tx: Tx<CatalogTables>,
  req: FastifyRequest,
  asked: string | undefined,
) {
  const own = channelOf(req.principal)
  if (own !== null) {
    if (asked !== undefined && asked !== own) {
      throw new DomainError('forbidden', `A touchpoint of ${own} sees only its own channel`)
    }
    return own
  }
  if (asked !== undefined) await assertChannelsExist(crossModule(tx), [{ code: asked, path: 'query.channel' }])
  return asked ?? null
}

export const catalogRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps

  /** A staff write on one product: run it, audit before/after, answer the product after. */
  const productWrite = (
    req: FastifyRequest,
    reply: Parameters<typeof sendWrite>[1],
    status: number,
    action: string,
    work: (tx: Tx<CatalogTables>) => Promise<Change>,
  ) =>
    sendWrite(req, reply, deps, status, async (tx) => {
      const { before, after } = await work(tx)
      await recordAudit(
        tx,
        clock,
        req.principal,
        { action, resource: 'product', resourceId: after.id, before, after },
        req.id,
      )
      return after
    })

  app.post(
    '/v1/products',
    {
      schema: { tags, body: CreateProductBody, response: { 201: ProductView } },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const product = await createProduct(tx, clock, req.body, {
          channel: channelOf(req.principal),
        })
        await recordAudit(
          tx,
          clock,
          req.principal,
          {
            action: 'product.created',
            resource: 'product',
            resourceId: product.id,
            after: product,
          },
          req.id,
        )
        return product
      }),
  )
  app.get(
    '/v1/products',
    {
      schema: {
        tags,
        description:
          'Newest first. A touchpoint sees only the products its channel sells, at its prices.',
        querystring: ProductListQuery,
        response: { 200: pageOf(ProductView) },
      },
      config: { scope: 'catalog:read' },
    },
    (req) =>
      inTransaction(db, async (tx) =>
        listProducts(tx, req.query, await viewerChannel(tx, req, req.query.channel)),
      ),
  )

  const readOne = (req: FastifyRequest & { query: ViewQuery }, key: ProductKey) =>
    inTransaction(db, async (tx) =>
      getProduct(tx, key, await viewerChannel(tx, req, req.query.channel)),
    )
  app.get(
    '/v1/products/:id',
    {
      schema: {
        tags,
        params: ProductParams,
        querystring: ViewQuery,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:read' },
    },
    (req) => readOne(req, { id: req.params.id }),
  )
  app.get(
    '/v1/products/by-sku/:sku',
    {
      schema: { tags, params: SkuParams, querystring: ViewQuery, response: { 200: ProductView } },
      config: { scope: 'catalog:read' },
    },
    (req) => readOne(req, { sku: req.params.sku }),
  )
  app.get(
    '/v1/products/by-barcode/:barcode',
    {
      schema: {
        tags,
        params: BarcodeParams,
        querystring: ViewQuery,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:read' },
    },
    (req) => readOne(req, { barcode: req.params.barcode }),
  )

  app.patch(
    '/v1/products/:id',
    {
      schema: {
        tags,
        params: ProductParams,
        body: UpdateProductBody,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      productWrite(req, reply, 200, 'product.updated', (tx) =>
        updateProduct(tx, clock, req.params.id, req.body),
      ),
  )
  app.post(
    '/v1/products/:id/variants',
    {
      schema: {
        tags,
        params: ProductParams,
        body: AddVariantsBody,
        response: { 201: ProductView },
      },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      productWrite(req, reply, 201, 'product.variants_added', (tx) =>
        addVariants(tx, clock, req.params.id, req.body),
      ),
  )
  app.patch(
    '/v1/products/:id/variants/:sku',
    {
      schema: {
        tags,
        params: VariantParams,
        body: UpdateVariantBody,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      productWrite(req, reply, 200, 'product.variant_updated', (tx) =>
        updateVariant(tx, clock, req.params.id, req.params.sku, req.body),
      ),
  )
  app.put(
    '/v1/products/:id/relations',
    {
      schema: {
        tags,
        description:
          'Replaces every relation of the product (complementary, accessory, substitute) with the list given.',
        params: ProductParams,
        body: SetRelationsBody,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      productWrite(req, reply, 200, 'product.relations_set', (tx) =>
        setRelations(tx, clock, req.params.id, req.body),
      ),
  )
  app.put(
    '/v1/products/:id/channels',
    {
      schema: {
        tags,
        description: 'Which channels sell the product; null means every channel (the default).',
        params: ProductParams,
        body: SetChannelsBody,
        response: { 200: ProductView },
      },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      productWrite(req, reply, 200, 'product.channels_set', (tx) =>
        setChannels(tx, clock, req.params.id, req.body),
      ),
  )

  app.post(
    '/v1/categories',
    {
      schema: { tags, body: CreateCategoryBody, response: { 201: CategoryView } },
      config: { scope: 'catalog:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const category = await createCategory(tx, clock, req.body)
        await recordAudit(
          tx,
          clock,
          req.principal,
          {
            action: 'category.created',
            resource: 'category',
            resourceId: category.id,
            after: category,
          },
          req.id,
        )
        return category
      }),
  )
  app.get(
    '/v1/categories',
    {
      schema: {
        tags,
        response: { 200: z.object({ data: z.array(CategoryView), nextCursor: z.null() }) },
      },
      config: { scope: 'catalog:read' },
    },
    async () => ({ data: await inTransaction(db, (tx) => listCategories(tx)), nextCursor: null }),
  )
}
