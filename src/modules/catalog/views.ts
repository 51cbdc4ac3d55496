import { sql, type SqlBool } from 'kysely'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { effectivePrices, effectiveView, type PriceView } from '../pricing/index.js'
import type { CatalogTables, ProductRow, RelationKind, VariantRow } from './db.js'
import type { ProductView, RelationView, VariantView } from './schema.js'

/**
 * True for products `channel` sells: no assortment list (every channel) or one naming it.
 * `@>` rather than `= any(…)` so the GIN index on `channels` can serve it.
 */
export function soldOn(channel: string | null, column = 'channels') {
  if (channel === null) return sql<SqlBool>`true`
  return sql<SqlBool>`(${sql.ref(column)} is null or ${sql.ref(column)} @> array[${channel}]::text[])`
}

function variantView(row: VariantRow, prices: PriceView[]): VariantView {
  return {
    id: row.id,
    sku: row.sku,
    barcode: row.barcode,
    options: row.options,
    weightGrams: row.weight_grams,
    prices,
  }
}

/**
 * Builds the API view of many products in three queries whatever their number: their variants,
 * their relations (only to products `channel` sells), and the variants' prices as `channel` pays
 * them. Keeps the order of `rows`.
 */
export async function productViews(
  tx: Tx<CatalogTables>,
  rows: readonly ProductRow[],
  channel: string | null,
): Promise<ProductView[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const variants = await tx
    .selectFrom('catalog.variant')
    .selectAll()
    .where(sql<SqlBool>`product_id = any(${ids}::text[])`)
    .orderBy('product_id')
    .orderBy('position')
    .execute()
  const relations = await sql<{
    product_id: string
    kind: RelationKind
    related_id: string
    title: string
  }>`
    select r.product_id, r.kind, r.related_id, p.title
    from catalog.product_relation r join catalog.product p on p.id = r.related_id
    where r.product_id = any(${ids}::text[]) and ${soldOn(channel, 'p.channels')}
    order by r.product_id, r.position`.execute(tx)
  const prices = await effectivePrices(
    crossModule(tx),
    variants.map((v) => v.sku),
    channel,
  )

  const pricesBySku = groupBy(prices, (p) => p.sku)
  const variantsByProduct = groupBy(variants, (v) => v.product_id)
  const relationsByProduct = groupBy(relations.rows, (r) => r.product_id)
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    categories: row.categories,
    images: row.images,
    attributes: row.attributes,
    channels: row.channels,
    variants: (variantsByProduct.get(row.id) ?? []).map((v) =>
      variantView(v, (pricesBySku.get(v.sku) ?? []).map(effectiveView)),
    ),
    relations: (relationsByProduct.get(row.id) ?? []).map((r): RelationView => ({
      kind: r.kind,
      productId: r.related_id,
      title: r.title,
    })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }))
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  return groups
}

/**
 * Recomputes the searchable text of `productIds` from the product and its variants in one
 * UPDATE; the stored `search` tsvector follows it.
 */
export async function refreshSearchText(tx: Tx<CatalogTables>, productIds: readonly string[]) {
  if (productIds.length === 0) return
  await sql`
    update catalog.product p set search_text = concat_ws(' ',
      p.title, p.description, array_to_string(p.categories, ' '),
      (select string_agg(a.value, ' ') from jsonb_each_text(p.attributes) a),
      (select string_agg(concat_ws(' ', v.sku, v.barcode,
                (select string_agg(o.value, ' ') from jsonb_each_text(v.options) o)), ' ')
         from catalog.variant v where v.product_id = p.id))
    where p.id = any(${[...productIds]}::text[])`.execute(tx)
}
