import { z } from 'zod'
import { Money } from '../../kernel/money.js'

/** `catalog.product_created` v1: a product and its variants now exist, at these base prices. */
export const ProductCreated = z.object({
  productId: z.string(),
  title: z.string(),
  categories: z.array(z.string()),
  variants: z.array(z.object({ sku: z.string(), barcode: z.string().nullable(), price: Money })),
})
export type ProductCreated = z.infer<typeof ProductCreated>

/** `catalog.product_updated` v1: what changed (field names, `variants`, `relations`, `channels`). */
export const ProductUpdated = z.object({ productId: z.string(), changed: z.array(z.string()) })
export type ProductUpdated = z.infer<typeof ProductUpdated>

export const catalogEvents = {
  'catalog.product_created': { version: 1, payload: ProductCreated },
  'catalog.product_updated': { version: 1, payload: ProductUpdated },
} as const
