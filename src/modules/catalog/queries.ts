import { sql, type SqlBool } from 'kysely'
import type { AnyTx, Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import { decodeTimeCursor, toPage, type Page } from '../../kernel/http/index.js'
import { categoryAndDescendants } from './categories.js'
import { productColumns, type CatalogTables, type ProductRow } from './db.js'
import type { ProductListQuery, ProductView } from './schema.js'
import { productViews, soldOn } from './views.js'

/**
 * Turns what a person typed into a prefix query (`red tee` → `red:* & tee:*`): every word must
 * match the start of a word of the product. Only letters and digits reach `to_tsquery`, so no
 * input can be a tsquery syntax error; a query without any is `validation-failed`.
 */
export function prefixQuery(q: string): string {
  const words = q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 16)
  if (words.length === 0)
    throw validationFailed([{ path: 'query.q', message: 'needs at least one letter or digit' }])
  return words.map((w) => `${w}:*`).join(' & ')
}

function cursorKey(cursor: string): [Date, string] {
  const { at, id } = decodeTimeCursor(cursor)
  return [at, id]
}

/**
 * Products `channel` sells (null: all of them), newest first, filtered and searched, one page
 * at a time. The cursor is the last row's (created_at, id), so pages neither skip nor repeat
 * rows when products are added meanwhile. Search uses the GIN index on the stored tsvector.
 */
export async function listProducts(
  tx: Tx<CatalogTables>,
  query: ProductListQuery,
  channel: string | null,
): Promise<Page<ProductView>> {
  let q = tx
    .selectFrom('catalog.product')
    .select(productColumns)
    .where(soldOn(channel))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
  if (query.q)
    q = q.where(sql<SqlBool>`search @@ to_tsquery('simple'::regconfig, ${prefixQuery(query.q)})`)
  if (query.category)
    q = q.where(sql<SqlBool>`categories && ${categoryAndDescendants(query.category)}`)
  if (query.updatedSince) q = q.where('updated_at', '>=', new Date(query.updatedSince))
  if (query.cursor) {
    const [at, id] = cursorKey(query.cursor)
    q = q.where(sql<SqlBool>`(created_at, id) < (${at}, ${id})`)
  }
  const rows = await q.execute()
  const page = toPage(
    rows,
    query.limit,
    (r) => [r.created_at.toISOString(), r.id],
    (r) => r,
  )
  return { data: await productViews(tx, page.data, channel), nextCursor: page.nextCursor }
}

/** Where to find one product: by id, by one of its SKUs, or by one of its barcodes. */
export type ProductKey = { id: string } | { sku: string } | { barcode: string }

function nameOf(key: ProductKey): [string, string] {
  if ('id' in key) return ['product', key.id]
  if ('sku' in key) return ['product with SKU', key.sku]
  return ['product with barcode', key.barcode]
}

/** The product row, whichever channel sells it; `not-found` when there is none. */
export async function findProductRow(
  tx: Tx<CatalogTables>,
  key: ProductKey,
  channel: string | null = null,
) {
  let q = tx.selectFrom('catalog.product').select(productColumns).where(soldOn(channel))
  if ('id' in key) q = q.where('id', '=', key.id)
  else {
    const [column, value] =
      'sku' in key ? (['sku', key.sku] as const) : (['barcode', key.barcode] as const)
    q = q.where('id', '=', (eb) =>
      eb.selectFrom('catalog.variant').select('product_id').where(column, '=', value),
    )
  }
  const row: ProductRow | undefined = await q.executeTakeFirst()
  if (!row) throw notFound(...nameOf(key))
  return row
}

/**
 * One product as `channel` sees it (its price overrides; only relations it sells). A product
 * the channel does not sell is `not-found`, exactly as if it did not exist.
 */
export async function getProduct(
  tx: Tx<CatalogTables>,
  key: ProductKey,
  channel: string | null,
): Promise<ProductView> {
  const [view] = await productViews(tx, [await findProductRow(tx, key, channel)], channel)
  return view!
}

/** What an order line or a cart needs to know about a SKU, besides its price. */
export type VariantSummary = {
  sku: string
  productId: string
  title: string
  barcode: string | null
  options: Record<string, string>
  weightGrams: number | null
}

/**
 * The variants of `skus` that `channel` sells (null: every variant), keyed by SKU, in one query.
 * A SKU that does not exist or that the channel does not sell is absent; prices come from
 * pricing's `effectivePrices`.
 */
export async function variantsBySku(
  tx: AnyTx,
  skus: readonly string[],
  channel: string | null,
): Promise<Map<string, VariantSummary>> {
  if (skus.length === 0) return new Map()
  const rows = await sql<{
    sku: string
    product_id: string
    title: string
    barcode: string | null
    options: Record<string, string>
    weight_grams: number | null
  }>`
    select v.sku, v.product_id, p.title, v.barcode, v.options, v.weight_grams
    from catalog.variant v join catalog.product p on p.id = v.product_id
    where v.sku = any(${[...new Set(skus)]}::text[]) and ${soldOn(channel, 'p.channels')}`.execute(
    tx,
  )
  return new Map(
    rows.rows.map((r) => [
      r.sku,
      {
        sku: r.sku,
        productId: r.product_id,
        title: r.title,
        barcode: r.barcode,
        options: r.options,
        weightGrams: r.weight_grams,
      },
    ]),
  )
}
