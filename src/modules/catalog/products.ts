import { sql, type SqlBool } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type AnyTx, type Tx } from '../../kernel/db/index.js'
import { DomainError, validationFailed, type FieldError } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { insertBasePrices } from '../pricing/index.js'
import { assertCategoriesExist } from './categories.js'
import { productColumns, type CatalogTables } from './db.js'
import type { ProductCreated } from './events.js'
import type { CreateProductBody, ProductView, VariantInput } from './schema.js'
import { productViews, refreshSearchText } from './views.js'

type CatalogTx = Tx<CatalogTables>

export type CreateOptions = {
  /** The channel of the touchpoint creating them, stamped on the events. */
  channel?: string | null
  /** Field path prefix of input `i` in problems: `3.` for a batch, `` for one product. */
  pathOf?: (i: number) => string
}

// The outbox INSERT binds six parameters per event; PostgreSQL allows 65,535 per statement.
const eventChunk = 5_000

/**
 * Creates many products, their variants and base prices with one INSERT per table (rows travel
 * as arrays through `unnest`, so a batch of thousands binds a fixed number of parameters).
 * All or nothing: SKUs or barcodes given twice in the batch and unknown category codes are
 * `validation-failed`; a SKU or barcode that already exists is `already-exists` naming every
 * clash at its path (`3.variants.1.sku`). The variant INSERT skips conflicting rows
 * (`on conflict do nothing`), waiting on a concurrent writer of the same SKU until it commits,
 * so the check is the unique index itself and holds under concurrency; the thrown problem
 * aborts the caller's transaction and with it the products already inserted.
 * Appends one `catalog.product_created` per product, carrying its variants' prices.
 */
export async function createProducts(
  tx: CatalogTx,
  clock: Clock,
  inputs: readonly CreateProductBody[],
  options: CreateOptions = {},
): Promise<ProductView[]> {
  if (inputs.length === 0) return []
  const pathOf = options.pathOf ?? ((i: number) => `${i}.`)
  assertDistinctAcrossBatch(inputs, pathOf)
  await assertCategoriesExist(
    crossModule(tx),
    inputs.flatMap((p, i) =>
      (p.categories ?? []).map((code, k) => ({ code, path: `${pathOf(i)}categories.${k}` })),
    ),
  )
  const now = clock.now()
  const products = inputs.map((input) => ({ id: newId('prd'), input }))
  await sql`
    insert into catalog.product (id, title, description, attributes, images, categories, created_at, updated_at)
    select r.id, r.title, r.description, r.attributes, r.images,
           array(select jsonb_array_elements_text(r.categories)), ${now}, ${now}
    from unnest(${products.map((p) => p.id)}::text[], ${products.map((p) => p.input.title)}::text[],
                ${products.map((p) => p.input.description ?? null)}::text[],
                ${products.map((p) => JSON.stringify(p.input.attributes ?? {}))}::jsonb[],
                ${products.map((p) => JSON.stringify(p.input.images ?? []))}::jsonb[],
                ${products.map((p) => JSON.stringify(p.input.categories ?? []))}::jsonb[])
      as r(id, title, description, attributes, images, categories)`.execute(tx)

  const variants = products.flatMap((p, i) =>
    p.input.variants.map((v, j) => ({
      id: newId('var'),
      productId: p.id,
      position: j,
      path: `${pathOf(i)}variants.${j}`,
      v,
    })),
  )
  await insertVariants(tx, clock, variants)
  await refreshSearchText(
    tx,
    products.map((p) => p.id),
  )
  const events = products.map((p) => ({
    name: 'catalog.product_created',
    version: 1,
    payload: {
      productId: p.id,
      title: p.input.title,
      categories: p.input.categories ?? [],
      variants: p.input.variants.map((v) => ({
        sku: v.sku,
        barcode: v.barcode ?? null,
        price: v.price,
      })),
    } satisfies ProductCreated,
    channel: options.channel ?? null,
  }))
  for (let i = 0; i < events.length; i += eventChunk) {
    await appendEvents(crossModule(tx), clock, events.slice(i, i + eventChunk))
  }
  const rows = await tx
    .selectFrom('catalog.product')
    .select(productColumns)
    .where(sql<SqlBool>`id = any(${products.map((p) => p.id)}::text[])`)
    .execute()
  const byId = new Map(rows.map((r) => [r.id, r]))
  return productViews(
    tx,
    products.map((p) => byId.get(p.id)!),
    null,
  )
}

export type NewVariant = {
  id: string
  productId: string
  position: number
  path: string
  v: VariantInput
}

/**
 * Inserts variants and their base prices (through pricing) with one INSERT each. A SKU or
 * barcode already in the catalog makes the variant INSERT skip that row (`on conflict do
 * nothing` waits for a concurrent writer of the same key to finish first); any skipped row
 * becomes `already-exists` naming the clashing field, which aborts the caller's transaction.
 */
export async function insertVariants(tx: CatalogTx, clock: Clock, variants: readonly NewVariant[]) {
  const now = clock.now()
  const inserted = await sql<{ sku: string }>`
    insert into catalog.variant (id, product_id, sku, barcode, options, weight_grams, position, created_at, updated_at)
    select r.*, ${now}, ${now}
    from unnest(${variants.map((x) => x.id)}::text[], ${variants.map((x) => x.productId)}::text[],
                ${variants.map((x) => x.v.sku)}::text[], ${variants.map((x) => x.v.barcode ?? null)}::text[],
                ${variants.map((x) => JSON.stringify(x.v.options ?? {}))}::jsonb[],
                ${variants.map((x) => x.v.weightGrams ?? null)}::int[], ${variants.map((x) => x.position)}::int[])
      as r(id, product_id, sku, barcode, options, weight_grams, position)
    on conflict do nothing
    returning sku`.execute(tx)
  if (inserted.rows.length < variants.length) {
    const done = new Set(inserted.rows.map((r) => r.sku))
    throw await variantClashes(
      tx,
      variants.filter((x) => !done.has(x.v.sku)),
    )
  }
  await insertBasePrices(
    crossModule(tx),
    clock,
    variants.map((x) => ({ sku: x.v.sku, price: x.v.price })),
  )
}

/**
 * Creates one product with its variants and their base prices (through the pricing module, in
 * the same transaction). Same contract as `createProducts`, with field paths relative to the
 * product (`variants.1.sku`). Appends `catalog.product_created`.
 */
export async function createProduct(
  tx: AnyTx,
  clock: Clock,
  input: CreateProductBody,
  options: { channel?: string | null } = {},
): Promise<ProductView> {
  const [view] = await createProducts(tx, clock, [input], { ...options, pathOf: () => '' })
  return view!
}

/** SKUs and barcodes must be unique across the whole batch, not only within one product. */
function assertDistinctAcrossBatch(
  inputs: readonly CreateProductBody[],
  pathOf: (i: number) => string,
) {
  const skus = new Set<string>()
  const barcodes = new Set<string>()
  const errors: FieldError[] = []
  inputs.forEach((p, i) =>
    p.variants.forEach((v, j) => {
      if (skus.has(v.sku))
        errors.push({ path: `${pathOf(i)}variants.${j}.sku`, message: `${v.sku} is given twice` })
      skus.add(v.sku)
      if (v.barcode === undefined) return
      if (barcodes.has(v.barcode)) {
        errors.push({
          path: `${pathOf(i)}variants.${j}.barcode`,
          message: `${v.barcode} is given twice`,
        })
      }
      barcodes.add(v.barcode)
    }),
  )
  if (errors.length > 0) throw validationFailed(errors)
}

/**
 * The `already-exists` problem for variants the INSERT skipped: each clashes with an existing
 * row on its SKU or, failing that, on its barcode (in-request duplicates were refused earlier).
 */
export async function variantClashes(
  tx: Tx<CatalogTables>,
  skipped: readonly { path: string; v: Pick<VariantInput, 'sku' | 'barcode'> }[],
): Promise<DomainError> {
  const skus = skipped.map((x) => x.v.sku)
  const barcodes = skipped.flatMap((x) => (x.v.barcode ? [x.v.barcode] : []))
  const taken = await tx
    .selectFrom('catalog.variant')
    .select(['sku', 'barcode'])
    .where(sql<SqlBool>`sku = any(${skus}::text[]) or barcode = any(${barcodes}::text[])`)
    .execute()
  const takenSkus = new Set(taken.map((r) => r.sku))
  const errors = skipped.map((x) =>
    takenSkus.has(x.v.sku) || !x.v.barcode
      ? { path: `${x.path}.sku`, message: `${x.v.sku} is taken` }
      : { path: `${x.path}.barcode`, message: `${x.v.barcode} is taken` },
  )
  return new DomainError(
    'already-exists',
    `A variant already uses ${errors.map((e) => e.message.split(' ')[0]).join(', ')}`,
    {
      resource: 'variant',
      errors,
    },
  )
}

/**
 * Checks that every SKU exists in the catalog, for modules that accept SKUs (stock, carts,
 * orders). One query for all refs; throws `validation-failed` naming each unknown SKU at its
 * field path with the message `no SKU <sku>`.
 */
export async function assertSkusExist(
  tx: AnyTx,
  refs: readonly { sku: string; path: string }[],
): Promise<void> {
  if (refs.length === 0) return
  const skus = [...new Set(refs.map((r) => r.sku))]
  const found = await (tx as Tx<CatalogTables>)
    .selectFrom('catalog.variant')
    .select('sku')
    .where(sql<SqlBool>`sku = any(${skus}::text[])`)
    .execute()
  const known = new Set(found.map((r) => r.sku))
  const missing = refs.filter((r) => !known.has(r.sku))
  if (missing.length > 0)
    throw validationFailed(missing.map((r) => ({ path: r.path, message: `no SKU ${r.sku}` })))
}
