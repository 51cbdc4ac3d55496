import type { Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction } from '../../kernel/db/index.js'
import type { Money } from '../../kernel/money.js'
import { createProducts } from './products.js'
import type { ProductView } from './schema.js'

/**
 * Creates one product per SKU (through `createProducts`, in one transaction) for tests that
 * need SKUs to exist. Prices default to 10.00 EUR.
 */
export function seedProducts(
  db: Kysely<any>,
  clock: Clock,
  products: readonly { sku: string; price?: Money; title?: string }[],
): Promise<ProductView[]> {
  return inTransaction(db, (tx) =>
    createProducts(
      tx,
      clock,
      products.map((p) => ({
        title: p.title ?? `Product ${p.sku}`,
        variants: [{ sku: p.sku, price: p.price ?? { amount: 1000, currency: 'EUR' } }],
      })),
    ),
  )
}
