export { catalogRoutes } from './routes.js'
export { catalogMigrations } from './migrations/index.js'
export { createProduct, createProducts, assertSkusExist, type CreateOptions } from './products.js'
export { addVariants, updateProduct, updateVariant, type Change } from './changes.js'
export { setChannels, setRelations } from './links.js'
export { createCategory, listCategories, categoriesBySku } from './categories.js'
export {
  getProduct,
  listProducts,
  variantsBySku,
  type ProductKey,
  type VariantSummary,
} from './queries.js'
export { catalogEvents, ProductCreated, ProductUpdated } from './events.js'
export type { CatalogTables } from './db.js'
export { CreateProductBody, CreateCategoryBody, Sku } from './schema.js'
export type { ProductView, VariantView, CategoryView } from './schema.js'
