import type { ColumnType, Selectable } from 'kysely'

export type CategoryTable = {
  id: string
  code: string
  name: string
  parent: string | null
  created_at: Date
  updated_at: Date
}

export type Attributes = Record<string, string | number | boolean>

export type ProductTable = {
  id: string
  title: string
  description: string | null
  attributes: ColumnType<Attributes, string, string>
  images: ColumnType<string[], string, string>
  categories: string[]
  // Channel codes that sell this product; null = every channel.
  channels: string[] | null
  // Kept by refreshSearchText from the product and its variants; `search` is generated from it.
  search_text: ColumnType<string, string | undefined, string>
  search: ColumnType<string, never, never>
  created_at: Date
  updated_at: Date
}

export type VariantTable = {
  id: string
  product_id: string
  sku: string
  barcode: string | null
  options: ColumnType<Record<string, string>, string, string>
  weight_grams: number | null
  position: number
  created_at: Date
  updated_at: Date
}

export type RelationKind = 'complementary' | 'accessory' | 'substitute'

export type ProductRelationTable = {
  product_id: string
  kind: RelationKind
  related_id: string
  position: number
  created_at: Date
}

export type CategoryRow = Selectable<CategoryTable>
// The search columns stay in the database: views never need them.
export type ProductRow = Omit<Selectable<ProductTable>, 'search' | 'search_text'>
export const productColumns = [
  'id',
  'title',
  'description',
  'attributes',
  'images',
  'categories',
  'channels',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ProductRow)[]
export type VariantRow = Selectable<VariantTable>
export type ProductRelationRow = Selectable<ProductRelationTable>

export type CatalogTables = {
  'catalog.category': CategoryTable
  'catalog.product': ProductTable
  'catalog.variant': VariantTable
  'catalog.product_relation': ProductRelationTable
}
