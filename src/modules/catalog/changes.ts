import { sql, type SqlBool } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, sqlState, type Tx } from '../../kernel/db/index.js'
import { alreadyExists, notFound } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { assertCategoriesExist } from './categories.js'
import { productColumns, type CatalogTables, type ProductRow } from './db.js'
import type { ProductUpdated } from './events.js'
import { insertVariants } from './products.js'
import type {
  AddVariantsBody,
  ProductView,
  UpdateProductBody,
  UpdateVariantBody,
} from './schema.js'
import { productViews, refreshSearchText } from './views.js'

export type Change = { before: ProductView; after: ProductView }

/**
 * Locks the product row for the rest of the transaction: every change to a product, its
 * variants or its relations takes this lock first, so concurrent edits of one product queue up
 * and each sees the previous one's result. `not-found` when there is no such product.
 */
export async function lockProduct(tx: Tx<CatalogTables>, id: string): Promise<ProductRow> {
  const row = await tx
    .selectFrom('catalog.product')
    .select(productColumns)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw notFound('product', id)
  return row
}

/** Locks the product and answers its view as it is before the change, for the audit trail. */
export async function beginChange(tx: Tx<CatalogTables>, id: string): Promise<ProductView> {
  const [view] = await productViews(tx, [await lockProduct(tx, id)], null)
  return view!
}

/**
 * Ends every product change: bumps `updated_at` (so `updatedSince` lists it), refreshes the
 * search text, appends `catalog.product_updated` naming what changed, and answers before/after.
 */
export async function finishChange(
  tx: Tx<CatalogTables>,
  clock: Clock,
  before: ProductView,
  changed: readonly string[],
  channel: string | null = null,
): Promise<Change> {
  const after = await tx
    .updateTable('catalog.product')
    .set({ updated_at: clock.now() })
    .where('id', '=', before.id)
    .returning(productColumns)
    .executeTakeFirstOrThrow()
  await refreshSearchText(tx, [before.id])
  await appendEvents(crossModule(tx), clock, [
    {
      name: 'catalog.product_updated',
      version: 1,
      payload: { productId: before.id, changed: [...changed] } satisfies ProductUpdated,
      channel,
    },
  ])
  const [afterView] = await productViews(tx, [after], null)
  return { before, after: afterView! }
}

/**
 * Changes the given product fields. Unknown category codes are `validation-failed` at
 * `categories.<i>`. Appends `catalog.product_updated`.
 */
export async function updateProduct(
  tx: Tx<CatalogTables>,
  clock: Clock,
  id: string,
  patch: UpdateProductBody,
): Promise<Change> {
  await assertCategoriesExist(
    tx,
    (patch.categories ?? []).map((code, i) => ({ code, path: `categories.${i}` })),
  )
  const before = await beginChange(tx, id)
  await tx
    .updateTable('catalog.product')
    .set({
      ...(patch.title !== undefined && { title: patch.title }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.categories !== undefined && { categories: patch.categories }),
      ...(patch.images !== undefined && { images: JSON.stringify(patch.images) }),
      ...(patch.attributes !== undefined && { attributes: JSON.stringify(patch.attributes) }),
    })
    .where('id', '=', id)
    .execute()
  return finishChange(tx, clock, before, Object.keys(patch).sort())
}

/**
 * Adds variants (with their base prices) after the product's existing ones. A SKU or barcode in
 * use is `already-exists` at `variants.<i>.sku|barcode`; nothing is written then. Appends
 * `catalog.product_updated`.
 */
export async function addVariants(
  tx: Tx<CatalogTables>,
  clock: Clock,
  id: string,
  input: AddVariantsBody,
): Promise<Change> {
  const before = await beginChange(tx, id)
  const { next } = await tx
    .selectFrom('catalog.variant')
    .select(sql<number>`coalesce(max(position) + 1, 0)::int`.as('next'))
    .where('product_id', '=', id)
    .executeTakeFirstOrThrow()
  await insertVariants(
    tx,
    clock,
    input.variants.map((v, i) => ({
      id: newId('var'),
      productId: id,
      position: next + i,
      path: `variants.${i}`,
      v,
    })),
  )
  return finishChange(tx, clock, before, ['variants'])
}

/**
 * Changes a variant's barcode, options or weight (its prices change through pricing). A barcode
 * another variant uses is `already-exists` at `barcode`: the unique index decides, and its
 * violation aborts the transaction with nothing written.
 */
export async function updateVariant(
  tx: Tx<CatalogTables>,
  clock: Clock,
  id: string,
  sku: string,
  patch: UpdateVariantBody,
): Promise<Change> {
  const before = await beginChange(tx, id)
  try {
    const updated = await tx
      .updateTable('catalog.variant')
      .set({
        ...(patch.barcode !== undefined && { barcode: patch.barcode }),
        ...(patch.options !== undefined && { options: JSON.stringify(patch.options) }),
        ...(patch.weightGrams !== undefined && { weight_grams: patch.weightGrams }),
        updated_at: clock.now(),
      })
      .where('product_id', '=', id)
      .where('sku', '=', sku)
      .returning('id')
      .executeTakeFirst()
    if (!updated) throw notFound('variant', `${id}/${sku}`)
  } catch (err) {
    if (sqlState(err) === '23505' && patch.barcode)
      throw alreadyExists('variant', 'barcode', patch.barcode)
    throw err
  }
  return finishChange(tx, clock, before, ['variants'])
}

/** Product rows by id, one query; for checks that referenced products exist. */
export async function existingProducts(tx: Tx<CatalogTables>, ids: readonly string[]) {
  if (ids.length === 0) return new Set<string>()
  const rows = await tx
    .selectFrom('catalog.product')
    .select('id')
    .where(sql<SqlBool>`id = any(${[...ids]}::text[])`)
    .execute()
  return new Set(rows.map((r) => r.id))
}
