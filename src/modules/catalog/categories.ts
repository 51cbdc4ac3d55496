import { sql, type SqlBool } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { alreadyExists, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { CatalogTables, CategoryRow } from './db.js'
import type { CategoryView, CreateCategoryBody } from './schema.js'

export function categoryView(row: CategoryRow): CategoryView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    parent: row.parent,
    createdAt: row.created_at.toISOString(),
  }
}

/**
 * Creates a category, optionally under a parent. An unknown parent is `validation-failed` at
 * `parent`; a taken code is `already-exists` (the unique index decides, so two concurrent
 * creators cannot both win).
 */
export async function createCategory(
  tx: Tx<CatalogTables>,
  clock: Clock,
  input: CreateCategoryBody,
) {
  if (input.parent) await assertCategoriesExist(tx, [{ code: input.parent, path: 'parent' }])
  const now = clock.now()
  const row = await tx
    .insertInto('catalog.category')
    .values({
      id: newId('cat'),
      code: input.code,
      name: input.name,
      parent: input.parent ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw alreadyExists('category', 'code', input.code)
  return categoryView(row)
}

/** Every category, by code: a store's tree is small enough to send whole. */
export async function listCategories(tx: Tx<CatalogTables>): Promise<CategoryView[]> {
  return (await tx.selectFrom('catalog.category').selectAll().orderBy('code').execute()).map(
    categoryView,
  )
}

/** Throws `validation-failed` naming every unknown category code at its path; one query. */
export async function assertCategoriesExist(
  tx: Tx<CatalogTables>,
  refs: readonly { code: string; path: string }[],
): Promise<void> {
  if (refs.length === 0) return
  const codes = [...new Set(refs.map((r) => r.code))]
  const found = await tx
    .selectFrom('catalog.category')
    .select('code')
    .where(sql<SqlBool>`code = any(${codes}::text[])`)
    .execute()
  const known = new Set(found.map((r) => r.code))
  const missing = refs.filter((r) => !known.has(r.code))
  if (missing.length > 0) {
    throw validationFailed(missing.map((r) => ({ path: r.path, message: `no category ${r.code}` })))
  }
}

/** A category code and every code below it, for "products in Clothing" to include T-shirts. */
export function categoryAndDescendants(code: string) {
  return sql<string>`(
    with recursive tree(code) as (
      select code from catalog.category where code = ${code}
      union
      select c.code from catalog.category c join tree t on c.parent = t.code
    ) select coalesce(array_agg(code), array[${code}]::text[]) from tree)`
}

/**
 * The categories of each SKU's product together with every category above them (a SKU in
 * T-shirts is also in Clothing), in one query. A SKU that does not exist is absent.
 */
export async function categoriesBySku(tx: Tx<CatalogTables>, skus: readonly string[]): Promise<Map<string, string[]>> {
  if (skus.length === 0) return new Map()
  const rows = await sql<{ sku: string; categories: string[] }>`
    with recursive direct(sku, code) as (
      select v.sku, unnest(p.categories) from catalog.variant v
      join catalog.product p on p.id = v.product_id
      where v.sku = any(${[...new Set(skus)]}::text[])
    ), up(sku, code) as (
      select sku, code from direct
      union
      select up.sku, c.parent from up join catalog.category c on c.code = up.code
      where c.parent is not null
    )
    select v.sku, coalesce(array_agg(distinct up.code) filter (where up.code is not null), '{}') as categories
    from catalog.variant v left join up on up.sku = v.sku
    where v.sku = any(${[...new Set(skus)]}::text[])
    group by v.sku`.execute(tx)
  return new Map(rows.rows.map((r) => [r.sku, r.categories]))
}
